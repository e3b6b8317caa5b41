"""The write side of the sandbox: what a restore calls (the Ticket Import API, uploads, job statuses, creating users,
organizations, groups, fields and configuration), stored so that every read endpoint serves it back.

``errors`` Zendesk's error answers, ``ledger`` the record of everything written (``/_sandbox/truth/written``),
``jobs`` job statuses, ``uploads`` upload tokens and their files, ``records`` users, organizations, groups and
ticket fields, ``config`` the configuration lists (with a new account's defaults), ``tickets`` the Ticket Import
API, ``endpoints`` the paths and the routing of every write request.
"""
