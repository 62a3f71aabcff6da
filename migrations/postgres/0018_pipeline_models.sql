-- A pipeline published as a model (`publish_as` in its latest version): OpenAI clients call it
-- as `pipeline:<model_name>` (GET /v1/models lists them). One name per owner; NULL: not published.
-- Twin of migrations/sqlite/0018_pipeline_models.sql.
ALTER TABLE pipelines ADD COLUMN model_name TEXT;
CREATE UNIQUE INDEX pipelines_model_name ON pipelines (owner_id, model_name);
