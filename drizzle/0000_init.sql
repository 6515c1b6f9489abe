CREATE TABLE "customers" (
	"id" serial PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "exceptions" (
	"id" serial PRIMARY KEY NOT NULL,
	"pattern" text NOT NULL,
	"scope" text NOT NULL,
	"customer_id" integer,
	"server_id" integer,
	"reason" text NOT NULL,
	"state" text DEFAULT 'active' NOT NULL,
	"created_by" text NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"approved_by" text,
	"approved_at" timestamp with time zone,
	"expires_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "file_errors" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"result_id" bigint NOT NULL,
	"path" text NOT NULL,
	"kind" text NOT NULL,
	"message" text NOT NULL,
	"line" integer NOT NULL,
	"excepted" boolean NOT NULL
);
--> statement-breakpoint
CREATE TABLE "report_chunks" (
	"report_id" bigint NOT NULL,
	"seq" integer NOT NULL,
	"data" "bytea" NOT NULL,
	CONSTRAINT "report_chunks_report_id_seq_pk" PRIMARY KEY("report_id","seq")
);
--> statement-breakpoint
CREATE TABLE "reports" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"server_id" integer NOT NULL,
	"state" text DEFAULT 'receiving' NOT NULL,
	"format" text DEFAULT 'auto' NOT NULL,
	"size" bigint DEFAULT 0 NOT NULL,
	"sha256" text,
	"received_at" timestamp with time zone DEFAULT now() NOT NULL,
	"started_at" timestamp with time zone,
	"finished_at" timestamp with time zone,
	"client_exit_code" integer
);
--> statement-breakpoint
CREATE TABLE "results" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"report_id" bigint,
	"server_id" integer NOT NULL,
	"parser_version" text NOT NULL,
	"format" text NOT NULL,
	"code" integer NOT NULL,
	"status" text NOT NULL,
	"meaning" text NOT NULL,
	"reason" text,
	"completed" boolean NOT NULL,
	"ok_by_exceptions" boolean DEFAULT false NOT NULL,
	"file_error_count" integer DEFAULT 0 NOT NULL,
	"excepted_count" integer DEFAULT 0 NOT NULL,
	"vanished_count" integer DEFAULT 0 NOT NULL,
	"messages" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"stats" jsonb DEFAULT '{}'::jsonb NOT NULL,
	"backup_at" timestamp with time zone NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "servers" (
	"id" serial PRIMARY KEY NOT NULL,
	"customer_id" integer NOT NULL,
	"name" text NOT NULL,
	"token_hash" text NOT NULL,
	"target_host" text,
	"schedule_cron" text DEFAULT '0 22 * * *' NOT NULL,
	"timezone" text DEFAULT 'UTC' NOT NULL,
	"grace_minutes" integer DEFAULT 240 NOT NULL,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "file_errors" ADD CONSTRAINT "file_errors_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "report_chunks" ADD CONSTRAINT "report_chunks_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "reports" ADD CONSTRAINT "reports_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_report_id_reports_id_fk" FOREIGN KEY ("report_id") REFERENCES "public"."reports"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "results" ADD CONSTRAINT "results_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "servers" ADD CONSTRAINT "servers_customer_id_customers_id_fk" FOREIGN KEY ("customer_id") REFERENCES "public"."customers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "customers_name_key" ON "customers" USING btree (lower("name"));--> statement-breakpoint
CREATE INDEX "exceptions_active_idx" ON "exceptions" USING btree ("state","scope","customer_id","server_id");--> statement-breakpoint
CREATE INDEX "file_errors_result_idx" ON "file_errors" USING btree ("result_id");--> statement-breakpoint
CREATE INDEX "reports_server_sha_idx" ON "reports" USING btree ("server_id","sha256","received_at");--> statement-breakpoint
CREATE INDEX "reports_server_received_idx" ON "reports" USING btree ("server_id","received_at");--> statement-breakpoint
CREATE INDEX "results_server_latest_idx" ON "results" USING btree ("server_id","backup_at" DESC NULLS LAST,"id" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "results_report_idx" ON "results" USING btree ("report_id");--> statement-breakpoint
CREATE UNIQUE INDEX "servers_name_key" ON "servers" USING btree (lower("name"));--> statement-breakpoint
CREATE UNIQUE INDEX "servers_token_hash_key" ON "servers" USING btree ("token_hash");--> statement-breakpoint
CREATE INDEX "servers_customer_idx" ON "servers" USING btree ("customer_id");