-- Raw reports are plain text that compresses well, but pglz costs more CPU per upload than
-- the rest of the insert together. lz4 compresses almost as well at a fraction of the cost.
-- Builds without lz4 (the embedded PGlite) keep the default.
DO $$
BEGIN
  ALTER TABLE "report_chunks" ALTER COLUMN "data" SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
  RAISE NOTICE 'lz4 is not available here; report_chunks keeps the default compression';
END $$;
