CREATE TABLE "job_runs" (
	"job" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"state" text NOT NULL,
	"owner" text NOT NULL,
	"heartbeat_at" timestamp with time zone DEFAULT now() NOT NULL,
	"attempts" integer DEFAULT 1 NOT NULL,
	"payload" jsonb,
	"progress" jsonb DEFAULT '{"posted":0}'::jsonb NOT NULL,
	"error" text,
	"finished_at" timestamp with time zone,
	CONSTRAINT "job_runs_job_scheduled_at_pk" PRIMARY KEY("job","scheduled_at")
);
--> statement-breakpoint
CREATE INDEX "results_server_ok_idx" ON "results" USING btree ("server_id","backup_at" DESC NULLS LAST) WHERE status = 'ok';--> statement-breakpoint
CREATE UNIQUE INDEX "results_missing_slot_key" ON "results" USING btree ("server_id","backup_at") WHERE report_id is null;