-- A change posted in Supabase's own database-webhook shape carries no outbox id. The webhook
-- orders every change by its outbox id, so it finds the outbox row holding that very change
-- (shared/dotline/services/mirroring.py, placed_in_outbox): by table and row, whatever the row's
-- status, newest first, then by payload. The index serves that lookup; the pending-only index
-- of 20261123130000_outbox_triggers.sql cannot, once the change was delivered.

create index if not exists outbox_row_changes_idx on private.outbox (table_name, row_key, outbox_id);
comment on index private.outbox_row_changes_idx is
  'Every change of one source row, newest last: the webhook places a Supabase-shaped change by it.';
