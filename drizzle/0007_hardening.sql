DROP INDEX "reports_server_sha_idx";--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "idempotency_key" text;--> statement-breakpoint
ALTER TABLE "reports" ADD COLUMN "retry_key" text;--> statement-breakpoint
CREATE INDEX "reports_server_retry_idx" ON "reports" USING btree ("server_id","retry_key","received_at");--> statement-breakpoint
-- Results dated after their report arrived came from a client clock running ahead; date them at
-- the arrival so they cannot outrank the results that came after them.
UPDATE "results" SET "backup_at" = "reports"."received_at" FROM "reports" WHERE "reports"."id" = "results"."report_id" AND "results"."backup_at" > "reports"."received_at";
