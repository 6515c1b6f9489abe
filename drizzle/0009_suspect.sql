CREATE TABLE "baselines" (
	"id" serial PRIMARY KEY NOT NULL,
	"server_id" integer NOT NULL,
	"starts_at" timestamp with time zone NOT NULL,
	"result_id" bigint,
	"reason" text NOT NULL,
	"actor" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "results" ADD COLUMN "suspicion" jsonb DEFAULT '[]'::jsonb NOT NULL;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "canary_path" text;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "suspect_drop_percent" integer;--> statement-breakpoint
ALTER TABLE "servers" ADD COLUMN "suspect_short_percent" integer;--> statement-breakpoint
ALTER TABLE "baselines" ADD CONSTRAINT "baselines_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "baselines" ADD CONSTRAINT "baselines_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "baselines_server_start_key" ON "baselines" USING btree ("server_id","starts_at");--> statement-breakpoint
CREATE INDEX "results_server_good_idx" ON "results" USING btree ("server_id","backup_at","id") WHERE status = 'ok' and report_id is not null;