CREATE TABLE "server_current" (
	"server_id" integer PRIMARY KEY NOT NULL,
	"latest_result_id" bigint,
	"latest_backup_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"failing_results" integer DEFAULT 0 NOT NULL,
	"ack_id" integer,
	"ack_status" text,
	"ack_code" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_current" ADD CONSTRAINT "server_current_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Recomputes one server's row from its whole history. Used when a write is not simply "a newer
-- result" (the server's first result; a late, older backup; a deleted or changed result; an
-- acknowledgement) and to fill the table once. The newest result is by (backup_at, id); the
-- failing streak is every result after the newest ok one in that order; the acknowledgement in
-- force is the newest one that no later result (by id) contradicts with another status or code.
CREATE OR REPLACE FUNCTION server_current_refresh(sid integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lat_id bigint;
  lat_at timestamptz;
  ok_id bigint;
  ok_at timestamptz;
  f_since timestamptz;
  f_count integer;
  ack_row record;
BEGIN
  -- Serialises with every other writer of this server's row (taken before reading the history,
  -- so what is read below includes whatever they committed).
  INSERT INTO server_current (server_id) VALUES (sid) ON CONFLICT (server_id) DO NOTHING;
  PERFORM 1 FROM server_current WHERE server_id = sid FOR UPDATE;
  SELECT r.id, r.backup_at INTO lat_id, lat_at FROM results r WHERE r.server_id = sid ORDER BY r.backup_at DESC, r.id DESC LIMIT 1;
  IF lat_id IS NULL THEN
    DELETE FROM server_current WHERE server_id = sid;
    RETURN;
  END IF;
  SELECT r.id, r.backup_at INTO ok_id, ok_at FROM results r WHERE r.server_id = sid AND r.status = 'ok' ORDER BY r.backup_at DESC, r.id DESC LIMIT 1;
  SELECT min(r.backup_at), count(*) INTO f_since, f_count FROM results r
    WHERE r.server_id = sid AND (ok_id IS NULL OR (r.backup_at, r.id) > (ok_at, ok_id));
  SELECT a.id, a.status, a.code INTO ack_row FROM acknowledgements a
    WHERE a.server_id = sid
      AND NOT EXISTS (SELECT 1 FROM results r WHERE r.server_id = sid AND r.id > a.result_id AND (r.status <> a.status OR r.code <> a.code))
    ORDER BY a.created_at DESC, a.id DESC LIMIT 1;
  UPDATE server_current SET
    latest_result_id = lat_id, latest_backup_at = lat_at, last_success_at = ok_at, failing_since = f_since,
    failing_results = f_count, ack_id = ack_row.id, ack_status = ack_row.status, ack_code = ack_row.code, updated_at = now()
  WHERE server_id = sid;
END
$$;
--> statement-breakpoint
-- A new result. The usual case (it is the server's newest) is one UPDATE of the one row: the
-- WHERE clause is re-checked against the latest row version if another writer got there first,
-- and an acknowledgement ends when the new result's status or code differs from it. Anything
-- else (the server's first result, an older backup arriving late) recomputes from the history.
CREATE OR REPLACE FUNCTION server_current_on_result_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE server_current c SET
    latest_result_id = NEW.id,
    latest_backup_at = NEW.backup_at,
    last_success_at = CASE WHEN NEW.status = 'ok' THEN NEW.backup_at ELSE c.last_success_at END,
    failing_since = CASE WHEN NEW.status = 'ok' THEN NULL ELSE coalesce(c.failing_since, NEW.backup_at) END,
    failing_results = CASE WHEN NEW.status = 'ok' THEN 0 ELSE c.failing_results + 1 END,
    ack_id = CASE WHEN c.ack_status = NEW.status AND c.ack_code = NEW.code THEN c.ack_id END,
    ack_status = CASE WHEN c.ack_status = NEW.status AND c.ack_code = NEW.code THEN c.ack_status END,
    ack_code = CASE WHEN c.ack_status = NEW.status AND c.ack_code = NEW.code THEN c.ack_code END,
    updated_at = now()
  WHERE c.server_id = NEW.server_id
    AND c.latest_result_id IS NOT NULL
    AND (c.latest_backup_at, c.latest_result_id) < (NEW.backup_at, NEW.id);
  IF NOT FOUND THEN
    PERFORM server_current_refresh(NEW.server_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE OR REPLACE FUNCTION server_current_on_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP IN ('UPDATE', 'DELETE') THEN
    PERFORM server_current_refresh(OLD.server_id);
  END IF;
  IF TG_OP IN ('INSERT', 'UPDATE') AND (TG_OP = 'INSERT' OR NEW.server_id <> OLD.server_id) THEN
    PERFORM server_current_refresh(NEW.server_id);
  END IF;
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER server_current_result_insert AFTER INSERT ON results FOR EACH ROW EXECUTE FUNCTION server_current_on_result_insert();
--> statement-breakpoint
CREATE TRIGGER server_current_result_change AFTER UPDATE OR DELETE ON results FOR EACH ROW EXECUTE FUNCTION server_current_on_change();
--> statement-breakpoint
CREATE TRIGGER server_current_ack_change AFTER INSERT OR UPDATE OR DELETE ON acknowledgements FOR EACH ROW EXECUTE FUNCTION server_current_on_change();
--> statement-breakpoint
SELECT server_current_refresh(s.id) FROM servers s;
