-- The mirror ledger (shared/dotline/services/mirroring.py): what the graph, the vector index and
-- the cache hold of each source row, so the webhook applies every change once in effect and an
-- older one never wins over a newer.

-- The ledger of mirrored rows: the version of the last change applied to the graph, vectors and
-- cache for each source row. Deleted rows stay as tombstones, so a late redelivery of an older
-- change cannot bring them back.
create table if not exists private.mirrored_rows (
  table_name text not null,
  row_key text not null,
  version bigint not null,
  deleted boolean not null,
  applied_at timestamptz not null default now(),
  constraint mirrored_rows_pkey primary key (table_name, row_key)
);
comment on table private.mirrored_rows is
  'Version of the last change of each source row applied to the mirrors; deleted rows are tombstones.';

alter table private.mirrored_rows enable row level security;
revoke all on table private.mirrored_rows from public, anon, authenticated;
grant all on table private.mirrored_rows to service_role;

create or replace function private.record_mirrored_change(
  table_name text, row_key text, version bigint, deleted boolean
) returns boolean
language sql
security definer
set search_path = ''
as $$
  with recorded as (
    insert into private.mirrored_rows as m (table_name, row_key, version, deleted)
    values (table_name, row_key, version, deleted)
    on conflict on constraint mirrored_rows_pkey do update
      set version = excluded.version, deleted = excluded.deleted, applied_at = now()
      where m.version < excluded.version
    returning 1
  )
  select exists (select 1 from recorded)
$$;
comment on function private.record_mirrored_change(text, text, bigint, boolean) is
  'Records that a change reached the mirrors; false (nothing changed) when a newer one already had.';

revoke all on function private.record_mirrored_change(text, text, bigint, boolean) from public, anon, authenticated;
grant execute on function private.record_mirrored_change(text, text, bigint, boolean) to service_role;
