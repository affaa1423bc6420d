from erpsync.cli import main

main()
