-- The model catalog (src/catalog/models.rs): the models users may pick, with what an administrator
-- set about them. A model is a connection's upstream model; its id in /v1 is `name/upstream`
-- (the built-in local model's is its own). Columns left NULL take the bundled price table's value
-- (src/catalog/prices.rs) or the provider's. Twin of the PostgreSQL migration.
CREATE TABLE catalog_models (
    id                          TEXT PRIMARY KEY,
    -- A stored connection's id, `settings-<name>` for one declared in the settings, `local` for
    -- the built-in model. No foreign key: removing a stored connection removes its rows itself.
    connection_id               TEXT NOT NULL,
    upstream_id                 TEXT NOT NULL,
    display_name                TEXT,
    context_window              INTEGER,
    max_output                  INTEGER,
    -- US dollars per million tokens.
    input_price_per_mtok        REAL,
    output_price_per_mtok       REAL,
    cached_input_price_per_mtok REAL,
    -- 0/1 flags (NULL: as the price table says).
    vision                      INTEGER,
    tools                       INTEGER,
    json_output                 INTEGER,
    enabled                     INTEGER NOT NULL DEFAULT 1,
    -- Who may use it: everyone signed in, or administrators only.
    access                      TEXT NOT NULL DEFAULT 'everyone' CHECK (access IN ('everyone', 'admins')),
    -- JSON object of sampling parameters used when a request gives none.
    default_params              TEXT NOT NULL DEFAULT '{}',
    -- JSON array of model ids tried in order when this one fails before its first token.
    fallbacks                   TEXT NOT NULL DEFAULT '[]',
    created_at                  INTEGER NOT NULL,
    updated_at                  INTEGER NOT NULL,
    UNIQUE (connection_id, upstream_id)
);
