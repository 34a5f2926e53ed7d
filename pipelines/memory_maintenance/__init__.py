"""Memory maintenance: the nightly job that compacts, prunes and reindexes LanceDB memory."""
