-- What each model call cost at its model's list prices, in billionths of a US dollar (integers sum
-- exactly on both databases). NULL when the prices or the tokens are unknown. Prices come from the
-- bundled LiteLLM table (src/catalog) through the connection; the local model costs 0.
ALTER TABLE usage_ledger ADD COLUMN cost_nano_usd INTEGER;
