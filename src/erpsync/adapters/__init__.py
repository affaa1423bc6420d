"""The only place with I/O: the ERP client, the database, the system clock."""
