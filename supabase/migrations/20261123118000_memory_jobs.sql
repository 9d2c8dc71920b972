-- Retention and decay jobs over memories and conversations (seed 004 lifecycle), as SQL the
-- schedules in 20261123118000_memory_jobs.sql call and an operator can run by hand.
--
-- Each job is a batch function (one bounded statement over at most batch_size rows, taking row
-- locks with skip locked so it never waits on a person's open transaction) and a procedure that
-- runs batches until none is left, committing after each so no lock outlives its batch. The
-- keyset jobs take the next batch_size keys from an index in key order first, then filter and
-- change those: a batch never scans past its key range (a LIMIT over filtered rows would let
-- the planner read and sort everything after the cursor), and one run is one pass. The batch
-- functions force custom plans: planned for a generic LIMIT and cursor, the key range is
-- estimated at a tenth of the table and the joins turn into full scans (measured: 3 s instead
-- of 25 ms per batch at 1M rows).
--   call private.expire_memories();                                -- all batches, commits
--   select * from private.expire_memories_batch(1000);             -- one batch, your transaction
-- The procedures return (processed, batches, longest_batch_ms) and raise a NOTICE per batch.
-- They carry no `set search_path` clause on purpose: a procedure with a SET clause cannot COMMIT.
-- Every name in them is schema-qualified (or pg_catalog, always searched first) instead.

-- How long a closed conversation is kept: the owner's data_retention_days, and (seed 004's
-- archive rule) at most 90 days for owners who chose to keep data for less than a year.
create or replace function private.closed_conversation_retention_days(data_retention_days integer) returns integer
language sql immutable parallel safe
set search_path = ''
as $$
  select case when data_retention_days < 365 then least(data_retention_days, 90) else data_retention_days end
$$;
comment on function private.closed_conversation_retention_days(integer) is
  'Days a closed conversation is kept: data_retention_days, capped at 90 below a year (seed 004 archive rule).';
revoke all on function private.closed_conversation_retention_days(integer) from public, anon;
grant execute on function private.closed_conversation_retention_days(integer) to authenticated, service_role;


-- Expiry (seed 004 expire_user_memories): deletes memories past expires_at, oldest first, with
-- their history (retention must not keep a copy of what it removes).
create or replace function private.expire_memories_batch(batch_size integer default 1000) returns integer
language plpgsql
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
declare
  expired integer;
begin
  perform set_config('dotline.skip_memory_history', 'on', true);
  with batch as (
    select m.memory_id
    from public.memories m
    where m.expires_at <= now()
    order by m.expires_at
    limit batch_size
    for update skip locked
  ),
  gone as (
    delete from public.memories m using batch b
    where m.memory_id = b.memory_id
    returning m.memory_id
  ),
  forgotten as (
    delete from public.memory_history h using gone g
    where h.memory_id = g.memory_id
  )
  select count(*)::integer into expired from gone;
  perform set_config('dotline.skip_memory_history', '', true);
  return expired;
end;
$$;
comment on function private.expire_memories_batch(integer) is
  'One expiry batch: deletes up to batch_size memories whose expires_at has passed (and their history); returns how many.';


-- Decay (seed 004 decay_memory_importance): a memory not accessed (or, never accessed, not
-- created) for 30 days loses its decay_rate of importance, never below 0, at most once a day
-- (last_decayed_at), so re-running the job the same day changes nothing. Walks memory_id in
-- order from after_memory_id: one pass over the table, no rescans of rows already decayed.
create or replace function private.decay_memory_importance_batch(
  batch_size integer default 1000,
  after_memory_id uuid default null
) returns table (processed integer, last_memory_id uuid)
language plpgsql
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with keys as (
    select m.memory_id
    from public.memories m
    where m.memory_id > coalesce(after_memory_id, '00000000-0000-0000-0000-000000000000'::uuid)
    order by m.memory_id
    limit batch_size
  ),
  batch as (
    select m.memory_id
    from public.memories m
    join keys k on k.memory_id = m.memory_id
    where m.importance > 0
      and m.decay_rate > 0
      and coalesce(m.last_accessed_at, m.created_at) < now() - interval '30 days'
      and (m.last_decayed_at is null or m.last_decayed_at < now() - interval '20 hours')
    for update of m skip locked
  ),
  decayed as (
    update public.memories m
    set importance = greatest(0, m.importance - m.decay_rate),
        last_decayed_at = now()
    from batch b
    where m.memory_id = b.memory_id
    returning m.memory_id
  )
  select (select count(*)::integer from decayed),
         (select k.memory_id from keys k order by k.memory_id desc limit 1);
end;
$$;
comment on function private.decay_memory_importance_batch(integer, uuid) is
  'One decay batch: the next batch_size memory ids after after_memory_id; lowers importance by decay_rate (floor 0) for those unused 30 days, once a day. Returns rows changed and the last id scanned (null: done).';


-- Archive (seed 004 archive_old_conversations): deletes closed conversations older than the
-- owner's retention (private.closed_conversation_retention_days); messages go with them, memories
-- they produced stay and lose their source link. Walks closed conversations in key order.
create or replace function private.archive_old_conversations_batch(
  batch_size integer default 200,
  after_conversation_id uuid default null
) returns table (processed integer, last_conversation_id uuid)
language plpgsql
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with keys as (
    select c.conversation_id
    from public.conversations c
    where c.closed_at is not null
      and c.conversation_id > coalesce(after_conversation_id, '00000000-0000-0000-0000-000000000000'::uuid)
    order by c.conversation_id
    limit batch_size
  ),
  batch as (
    select c.conversation_id
    from public.conversations c
    join keys k on k.conversation_id = c.conversation_id
    join public.profiles p on p.user_id = c.user_id
    where c.closed_at < now() - make_interval(days => private.closed_conversation_retention_days(p.data_retention_days))
    for update of c skip locked
  ),
  gone as (
    delete from public.conversations c using batch b
    where c.conversation_id = b.conversation_id
    returning c.conversation_id
  )
  select (select count(*)::integer from gone),
         (select k.conversation_id from keys k order by k.conversation_id desc limit 1);
end;
$$;
comment on function private.archive_old_conversations_batch(integer, uuid) is
  'One archive batch: the next batch_size closed conversations after after_conversation_id; deletes those past their owner''s retention. Returns rows deleted and the last id scanned (null: done).';


-- Inactivity close (seed 004 state transition "Active -> Closed: user ends conversation or 30
-- days inactive"): a coaching conversation with no message for 30 days is closed, which starts
-- its retention clock for the archive job. Companion chats (app_id null) end through ingestion.
create or replace function private.close_inactive_conversations_batch(
  batch_size integer default 1000,
  after_conversation_id uuid default null
) returns table (processed integer, last_conversation_id uuid)
language plpgsql
set search_path = ''
set plan_cache_mode = force_custom_plan
as $$
begin
  return query
  with keys as (
    select c.conversation_id
    from public.conversations c
    where c.app_id is not null
      and c.closed_at is null
      and c.conversation_id > coalesce(after_conversation_id, '00000000-0000-0000-0000-000000000000'::uuid)
    order by c.conversation_id
    limit batch_size
  ),
  batch as (
    select c.conversation_id
    from public.conversations c
    join keys k on k.conversation_id = c.conversation_id
    where c.app_id is not null
      and c.closed_at is null
      and coalesce(c.last_message_at, c.created_at) < now() - interval '30 days'
    for update of c skip locked
  ),
  closed as (
    update public.conversations c
    set status = 'closed', closed_at = now()
    from batch b
    where c.conversation_id = b.conversation_id
    returning c.conversation_id
  )
  select (select count(*)::integer from closed),
         (select k.conversation_id from keys k order by k.conversation_id desc limit 1);
end;
$$;
comment on function private.close_inactive_conversations_batch(integer, uuid) is
  'One batch: the next batch_size open coaching conversations after after_conversation_id; closes those without a message for 30 days. Returns rows closed and the last id scanned (null: done).';


create or replace procedure private.expire_memories(
  batch_size integer default 1000,
  inout processed bigint default 0,
  inout batches integer default 0,
  inout longest_batch_ms numeric default 0
)
language plpgsql
as $$
declare
  started timestamptz;
  done integer;
  took numeric;
begin
  processed := 0; batches := 0; longest_batch_ms := 0;
  loop
    started := clock_timestamp();
    done := private.expire_memories_batch(batch_size);
    commit;
    took := round(extract(epoch from clock_timestamp() - started) * 1000, 3);
    exit when done = 0;
    processed := processed + done;
    batches := batches + 1;
    longest_batch_ms := greatest(longest_batch_ms, took);
    raise notice 'expire_memories batch %: % rows, % ms', batches, done, took;
  end loop;
end;
$$;
comment on procedure private.expire_memories(integer, bigint, integer, numeric) is
  'Runs expiry batches until none is left, committing after each; returns rows, batches and the longest batch in ms.';

create or replace procedure private.decay_memory_importance(
  batch_size integer default 1000,
  inout processed bigint default 0,
  inout batches integer default 0,
  inout longest_batch_ms numeric default 0
)
language plpgsql
as $$
declare
  started timestamptz;
  done integer;
  last_id uuid;
  took numeric;
begin
  processed := 0; batches := 0; longest_batch_ms := 0;
  loop
    started := clock_timestamp();
    select b.processed, b.last_memory_id into done, last_id
    from private.decay_memory_importance_batch(batch_size, last_id) b;
    commit;
    took := round(extract(epoch from clock_timestamp() - started) * 1000, 3);
    exit when last_id is null;
    processed := processed + done;
    batches := batches + 1;
    longest_batch_ms := greatest(longest_batch_ms, took);
    raise notice 'decay_memory_importance batch %: % rows, % ms', batches, done, took;
  end loop;
end;
$$;
comment on procedure private.decay_memory_importance(integer, bigint, integer, numeric) is
  'Runs decay batches over the whole table once, committing after each; returns rows, batches and the longest batch in ms.';

create or replace procedure private.archive_old_conversations(
  batch_size integer default 200,
  inout processed bigint default 0,
  inout batches integer default 0,
  inout longest_batch_ms numeric default 0
)
language plpgsql
as $$
declare
  started timestamptz;
  done integer;
  last_id uuid;
  took numeric;
begin
  processed := 0; batches := 0; longest_batch_ms := 0;
  loop
    started := clock_timestamp();
    select b.processed, b.last_conversation_id into done, last_id
    from private.archive_old_conversations_batch(batch_size, last_id) b;
    commit;
    took := round(extract(epoch from clock_timestamp() - started) * 1000, 3);
    exit when last_id is null;
    processed := processed + done;
    batches := batches + 1;
    longest_batch_ms := greatest(longest_batch_ms, took);
    raise notice 'archive_old_conversations batch %: % rows, % ms', batches, done, took;
  end loop;
end;
$$;
comment on procedure private.archive_old_conversations(integer, bigint, integer, numeric) is
  'Runs archive batches over closed conversations once, committing after each; returns rows, batches and the longest batch in ms.';

create or replace procedure private.close_inactive_conversations(
  batch_size integer default 1000,
  inout processed bigint default 0,
  inout batches integer default 0,
  inout longest_batch_ms numeric default 0
)
language plpgsql
as $$
declare
  started timestamptz;
  done integer;
  last_id uuid;
  took numeric;
begin
  processed := 0; batches := 0; longest_batch_ms := 0;
  loop
    started := clock_timestamp();
    select b.processed, b.last_conversation_id into done, last_id
    from private.close_inactive_conversations_batch(batch_size, last_id) b;
    commit;
    took := round(extract(epoch from clock_timestamp() - started) * 1000, 3);
    exit when last_id is null;
    processed := processed + done;
    batches := batches + 1;
    longest_batch_ms := greatest(longest_batch_ms, took);
    raise notice 'close_inactive_conversations batch %: % rows, % ms', batches, done, took;
  end loop;
end;
$$;
comment on procedure private.close_inactive_conversations(integer, bigint, integer, numeric) is
  'Runs inactivity-close batches over open coaching conversations once, committing after each; returns rows, batches and the longest batch in ms.';

-- Jobs are the server's: pg_cron (as postgres) and service_role, never a signed-in person.
revoke all on function private.expire_memories_batch(integer) from public, anon, authenticated;
revoke all on function private.decay_memory_importance_batch(integer, uuid) from public, anon, authenticated;
revoke all on function private.archive_old_conversations_batch(integer, uuid) from public, anon, authenticated;
revoke all on procedure private.expire_memories(integer, bigint, integer, numeric) from public, anon, authenticated;
revoke all on procedure private.decay_memory_importance(integer, bigint, integer, numeric) from public, anon, authenticated;
revoke all on procedure private.archive_old_conversations(integer, bigint, integer, numeric) from public, anon, authenticated;
revoke all on function private.close_inactive_conversations_batch(integer, uuid) from public, anon, authenticated;
revoke all on procedure private.close_inactive_conversations(integer, bigint, integer, numeric) from public, anon, authenticated;
grant execute on function private.expire_memories_batch(integer) to service_role;
grant execute on function private.close_inactive_conversations_batch(integer, uuid) to service_role;
grant execute on procedure private.close_inactive_conversations(integer, bigint, integer, numeric) to service_role;
grant execute on function private.decay_memory_importance_batch(integer, uuid) to service_role;
grant execute on function private.archive_old_conversations_batch(integer, uuid) to service_role;
grant execute on procedure private.expire_memories(integer, bigint, integer, numeric) to service_role;
grant execute on procedure private.decay_memory_importance(integer, bigint, integer, numeric) to service_role;
grant execute on procedure private.archive_old_conversations(integer, bigint, integer, numeric) to service_role;

-- Schedules for the memory and conversation jobs (20261123118000_memory_jobs.sql), in GMT
-- (pg_cron's cron.timezone default). cron.schedule with a job name replaces the job of that
-- name, so re-applying this file changes nothing. pg_cron lives in the `postgres` database.
create extension if not exists pg_cron;

-- Seed 004: archive at 02:00, expire at 03:00. Not scheduled in the seed: closing coaching chats
-- idle for 30 days (its state transition) runs just before the archive, decay after expiry.
select cron.schedule('close-inactive-conversations', '30 1 * * *', 'call private.close_inactive_conversations()');
select cron.schedule('archive-conversations', '0 2 * * *', 'call private.archive_old_conversations()');
select cron.schedule('expire-memories', '0 3 * * *', 'call private.expire_memories()');
select cron.schedule('decay-memory-importance', '30 3 * * *', 'call private.decay_memory_importance()');
