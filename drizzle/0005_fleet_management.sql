DROP INDEX "servers_name_key";--> statement-breakpoint
ALTER TABLE "posted_messages" ADD COLUMN "thread_ts" text;--> statement-breakpoint
ALTER TABLE "posted_messages" ADD COLUMN "meta" jsonb;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "default_format" text DEFAULT 'auto' NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "paused_at" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "paused_until" timestamp with time zone;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "pause_reason" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "paused_by" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "removed_at" timestamp with time zone;--> statement-breakpoint
CREATE UNIQUE INDEX "servers_customer_name_key" ON "servers" USING btree ("customer_id",lower("name")) WHERE removed_at is null;