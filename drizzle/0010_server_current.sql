CREATE TABLE "server_current" (
	"server_id" integer PRIMARY KEY NOT NULL,
	"latest_result_id" bigint,
	"latest_backup_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"failing_since" timestamp with time zone,
	"failing_results" integer DEFAULT 0 NOT NULL,
	"ack_id" integer,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "server_current" ADD CONSTRAINT "server_current_server_id_servers_id_fk" FOREIGN KEY ("server_id") REFERENCES "public"."servers"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
-- Recomputes one server's row from its whole history. Used when a write is not simply "a newer
-- result" (a late, older backup; a deleted or changed result; an acknowledgement) and to fill
-- the table once. The newest result is by (backup_at, id); the failing streak is every result
-- after the newest ok one in that order; the acknowledgement in force is the newest one that no
-- later result (by id) contradicts with another status or code.
CREATE OR REPLACE FUNCTION server_current_refresh(sid integer) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
  lat_id bigint;
  lat_at timestamptz;
  ok_id bigint;
  ok_at timestamptz;
  f_since timestamptz;
  f_count integer;
  ack integer;
BEGIN
  SELECT r.id, r.backup_at INTO lat_id, lat_at FROM results r WHERE r.server_id = sid ORDER BY r.backup_at DESC, r.id DESC LIMIT 1;
  IF lat_id IS NULL THEN
    DELETE FROM server_current WHERE server_id = sid;
    RETURN;
  END IF;
  SELECT r.id, r.backup_at INTO ok_id, ok_at FROM results r WHERE r.server_id = sid AND r.status = 'ok' ORDER BY r.backup_at DESC, r.id DESC LIMIT 1;
  SELECT min(r.backup_at), count(*) INTO f_since, f_count FROM results r
    WHERE r.server_id = sid AND (ok_id IS NULL OR (r.backup_at, r.id) > (ok_at, ok_id));
  SELECT a.id INTO ack FROM acknowledgements a
    WHERE a.server_id = sid
      AND NOT EXISTS (SELECT 1 FROM results r WHERE r.server_id = sid AND r.id > a.result_id AND (r.status <> a.status OR r.code <> a.code))
    ORDER BY a.created_at DESC, a.id DESC LIMIT 1;
  INSERT INTO server_current AS c (server_id, latest_result_id, latest_backup_at, last_success_at, failing_since, failing_results, ack_id, updated_at)
    VALUES (sid, lat_id, lat_at, ok_at, f_since, f_count, ack, now())
  ON CONFLICT (server_id) DO UPDATE SET
    latest_result_id = EXCLUDED.latest_result_id, latest_backup_at = EXCLUDED.latest_backup_at,
    last_success_at = EXCLUDED.last_success_at, failing_since = EXCLUDED.failing_since,
    failing_results = EXCLUDED.failing_results, ack_id = EXCLUDED.ack_id, updated_at = now();
END
$$;
--> statement-breakpoint
-- A new result. The usual case (it is the server's newest) is a few arithmetic steps on the one
-- row; anything else recomputes from the history.
CREATE OR REPLACE FUNCTION server_current_on_result_insert() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  c server_current%ROWTYPE;
  ack_status text;
  ack_code integer;
BEGIN
  INSERT INTO server_current (server_id) VALUES (NEW.server_id) ON CONFLICT (server_id) DO NOTHING;
  SELECT * INTO c FROM server_current WHERE server_id = NEW.server_id FOR UPDATE;
  IF c.latest_result_id IS NOT NULL AND (NEW.backup_at, NEW.id) < (c.latest_backup_at, c.latest_result_id) THEN
    PERFORM server_current_refresh(NEW.server_id);
    RETURN NULL;
  END IF;
  IF c.ack_id IS NOT NULL THEN
    SELECT a.status, a.code INTO ack_status, ack_code FROM acknowledgements a WHERE a.id = c.ack_id;
    IF ack_status IS DISTINCT FROM NEW.status OR ack_code IS DISTINCT FROM NEW.code THEN
      c.ack_id := NULL;
    END IF;
  END IF;
  IF NEW.status = 'ok' THEN
    c.last_success_at := NEW.backup_at;
    c.failing_since := NULL;
    c.failing_results := 0;
  ELSE
    c.failing_since := coalesce(c.failing_since, NEW.backup_at);
    c.failing_results := c.failing_results + 1;
  END IF;
  UPDATE server_current SET
    latest_result_id = NEW.id, latest_backup_at = NEW.backup_at, last_success_at = c.last_success_at,
    failing_since = c.failing_since, failing_results = c.failing_results, ack_id = c.ack_id, updated_at = now()
  WHERE server_id = NEW.server_id;
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
