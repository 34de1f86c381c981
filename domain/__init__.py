"""The grant-compliance domain: the GrantProject aggregate, its events, rules and errors.

Pure: it imports the standard library and `eventsourcing.domain`, nothing of the web, the
serialisers or the database.
"""
