CREATE TABLE "acknowledgements" (
	"id" serial PRIMARY KEY NOT NULL,
	"server_id" integer NOT NULL,
	"result_id" bigint NOT NULL,
	"status" text NOT NULL,
	"code" integer NOT NULL,
	"user_id" text NOT NULL,
	"note" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "audit_log" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"actor" text NOT NULL,
	"action" text NOT NULL,
	"server_id" integer,
	"details" jsonb DEFAULT '{}'::jsonb NOT NULL
);
--> statement-breakpoint
CREATE TABLE "incidents" (
	"id" serial PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"title" text NOT NULL,
	"server_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"opened_at" timestamp with time zone DEFAULT now() NOT NULL,
	"closed_at" timestamp with time zone,
	"channel" text,
	"ts" text
);
--> statement-breakpoint
CREATE TABLE "posted_messages" (
	"channel" text NOT NULL,
	"ts" text NOT NULL,
	"blocks" jsonb NOT NULL,
	"text" text NOT NULL,
	"server_ids" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"posted_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "posted_messages_channel_ts_pk" PRIMARY KEY("channel","ts")
);
--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "source_server_id" integer;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "request_channel" text;--> statement-breakpoint
ALTER TABLE "exceptions" ADD COLUMN "request_ts" text;--> statement-breakpoint
ALTER TABLE "acknowledgements" ADD CONSTRAINT "acknowledgements_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "acknowledgements" ADD CONSTRAINT "acknowledgements_result_id_results_id_fk" FOREIGN KEY ("result_id") REFERENCES "public"."results"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "audit_log" ADD CONSTRAINT "audit_log_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "acknowledgements_result_key" ON "acknowledgements" USING btree ("result_id");--> statement-breakpoint
CREATE INDEX "acknowledgements_server_idx" ON "acknowledgements" USING btree ("server_id","created_at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_server_idx" ON "audit_log" USING btree ("server_id","at" DESC NULLS LAST);--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at" DESC NULLS LAST);--> statement-breakpoint
CREATE UNIQUE INDEX "incidents_open_key" ON "incidents" USING btree ("key") WHERE closed_at is null;--> statement-breakpoint
CREATE INDEX "posted_messages_at_idx" ON "posted_messages" USING btree ("posted_at" DESC NULLS LAST);--> statement-breakpoint
ALTER TABLE "exceptions" ADD CONSTRAINT "exceptions_source_server_id_servers_id_fk" FOREIGN KEY ("source_server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;