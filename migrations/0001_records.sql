-- storydesk's records: the same keys and versioned encodings as the embedded store, one row
-- per record. `tree` is 0 for stories and everything under them, 1 for processed events.
CREATE TABLE storydesk_records (
    tree smallint NOT NULL CHECK (tree IN (0, 1)),
    key bytea NOT NULL,
    value bytea NOT NULL,
    PRIMARY KEY (tree, key)
);
