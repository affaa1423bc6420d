"""erpsync keeps a sales-agent order app supplied with fresh ERP data."""

__version__ = "0.1.0"
