-- Expired memories vanish from the graph read paths at query time, as they already do
-- from the memory routes, search and chat recall. The graph store keeps an expired memory's
-- node until pg_cron's expire-memories deletes the row (03:00) and the retention run removes
-- the node (04:00); the graph routes ask Postgres, once per response, which of the memory nodes
-- they read must not be shown.

-- The projection's cheap validity check reads the caller's expired (not yet purged) memories:
-- a short range of this index, whatever the size of the person's graph.
create index if not exists memories_user_expires_idx
  on public.memories (user_id, expires_at) where expires_at is not null;

-- One round trip for a graph read: of the given memory ids, those the caller must not see
-- (expired, or purged and still queued for removal from the graph), the earliest expiry still
-- ahead among the others (when the answer stops holding), and the moment it was checked.
-- Security definer for the removal queue, which is private; it reads only the caller's rows.
-- Memory ids Postgres does not know (a node written straight to the graph) are not hidden.
create or replace function private.hidden_memory_nodes(p_memory_ids uuid[])
returns table (hidden uuid[], next_expiry timestamptz, checked_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  with asked as (
    select m.memory_id, m.expires_at
    from public.memories m
    where m.memory_id = any (p_memory_ids) and m.user_id = (select auth.uid())
  ),
  purged as (
    select r.row_key::uuid as memory_id
    from private.lifecycle_removals r
    where r.user_id = (select auth.uid()) and r.table_name = 'memories'
      and r.row_key = any (p_memory_ids::text[])
  )
  select
    array(
      select a.memory_id from asked a where a.expires_at <= now()
      union
      select p.memory_id from purged p
    ),
    (select min(a.expires_at) from asked a where a.expires_at > now()),
    now()
$$;
comment on function private.hidden_memory_nodes(uuid[]) is
  'Of the caller''s given memory ids: those graph reads must hide (expired, or purged and queued for graph removal), the next expiry among the rest, and now().';
revoke all on function private.hidden_memory_nodes(uuid[]) from public, anon;
grant execute on function private.hidden_memory_nodes(uuid[]) to authenticated;
