DROP INDEX "acknowledgements_server_idx";--> statement-breakpoint
DROP INDEX "audit_log_server_idx";--> statement-breakpoint
DROP INDEX "audit_log_at_idx";--> statement-breakpoint
DROP INDEX "posted_messages_at_idx";--> statement-breakpoint
DROP INDEX "results_server_latest_idx";--> statement-breakpoint
DROP INDEX "results_server_ok_idx";--> statement-breakpoint
CREATE INDEX "acknowledgements_server_idx" ON "acknowledgements" USING btree ("server_id","created_at");--> statement-breakpoint
CREATE INDEX "audit_log_server_idx" ON "audit_log" USING btree ("server_id","at");--> statement-breakpoint
CREATE INDEX "audit_log_at_idx" ON "audit_log" USING btree ("at");--> statement-breakpoint
CREATE INDEX "posted_messages_at_idx" ON "posted_messages" USING btree ("posted_at");--> statement-breakpoint
CREATE INDEX "results_server_latest_idx" ON "results" USING btree ("server_id","backup_at","id");--> statement-breakpoint
CREATE INDEX "results_server_ok_idx" ON "results" USING btree ("server_id","backup_at") WHERE status = 'ok';