-- The embedded vector store's change log (issue 20: a write's cost must not grow with the
-- person's memories). A container keeps each person's matrix and, when their version has moved,
-- loaded it whole again: at 100k memories the first search after any write read 100k rows and
-- rebuilt the matrix (1.3 s and 0.7 s here) — every search of someone in a conversation. Every
-- write now also logs which items it changed at which version, so a container reads only the
-- items changed since the version it holds and patches its matrix
-- (shared/dotline/adapters/postgres_vectors.py, vector_matrix.py).
--
-- Versions are monotone per person in commit order: a writer takes its version from the sequence
-- only once it holds the person's version row (the adapter's bump sets the version in the
-- conflict's update, which runs under that row's lock), so whoever reads version V has every
-- change up to V committed, and "changes after the version I hold" is complete. The log keeps an
-- hour; `logged_from` says from which version on it is complete (the purge moves it), and a
-- container holding an older matrix loads it whole, as before.

alter table vectors.user_versions add column if not exists logged_from bigint not null default 0;
comment on column vectors.user_versions.logged_from is
  'The item change log holds every change after this version (the purge moves it on); a matrix held at an older version is loaded whole.';
-- The changes so far were never logged: every matrix held now is loaded whole once more.
update vectors.user_versions set logged_from = version where logged_from < version;

create table if not exists vectors.item_changes (
  user_id uuid not null
    constraint item_changes_user_versions_fk references vectors.user_versions (user_id) on delete cascade,
  version bigint not null,
  item_id uuid not null,
  logged_at timestamptz not null default now(),
  constraint item_changes_pkey primary key (user_id, version, item_id)
);
comment on table vectors.item_changes is
  'Which of a person''s items each write changed, at the version it moved them to (kept an hour): containers patch their cached matrices from it.';

alter table vectors.item_changes enable row level security;
revoke all on table vectors.item_changes from public, anon, authenticated;
grant select, insert, delete on table vectors.item_changes to service_role;
grant update (logged_from) on table vectors.user_versions to service_role;

-- The purge's oldest-first walk.
create index if not exists item_changes_logged_at_idx on vectors.item_changes (logged_at);

-- One purge batch: the oldest changes logged more than older_than ago; each person's
-- logged_from moves up to the newest version deleted, so a reader holding an older matrix
-- knows the log no longer covers it. Deleted versions are never above logged_from (an older
-- logged_at can carry a newer version: a writer that waited for the version row).
create or replace function private.purge_vector_item_changes_batch(
  batch_size integer default 5000,
  older_than interval default interval '1 hour'
) returns integer
language sql
set search_path = ''
as $$
  with batch as (
    select c.user_id, c.version, c.item_id
    from vectors.item_changes c
    where c.logged_at < now() - older_than
    order by c.logged_at
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from vectors.item_changes c using batch b
    where c.user_id = b.user_id and c.version = b.version and c.item_id = b.item_id
    returning c.user_id, c.version
  ),
  horizon as (
    update vectors.user_versions v
       set logged_from = g.version
      from (select user_id, max(version) as version from gone group by user_id) g
     where v.user_id = g.user_id and v.logged_from < g.version
    returning 1
  )
  select count(*)::integer from gone
$$;
comment on function private.purge_vector_item_changes_batch(integer, interval) is
  'One purge batch: deletes up to batch_size vector item changes logged more than older_than ago (default an hour), oldest first, moving each person''s logged_from past them; returns how many.';
revoke all on function private.purge_vector_item_changes_batch(integer, interval) from public, anon, authenticated;
grant execute on function private.purge_vector_item_changes_batch(integer, interval) to service_role;

select cron.schedule(
  'purge-vector-item-changes', '*/10 * * * *',
  private.batched_job_command(
    'purge-vector-item-changes',
    'select n, case when n > 0 then '''' end from private.purge_vector_item_changes_batch(5000) as n'
  )
);
