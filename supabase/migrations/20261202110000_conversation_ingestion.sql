-- Conversation ingestion: an ended conversation is turned into memories, concepts and
-- graph links by the scheduled ingestion function (functions/ingestion). Its status moves
-- ended -> processing -> processed. A run claims conversations with `for update skip locked` and
-- holds each under a lease: a run that dies mid-way leaves the conversation `processing` with a
-- lease that runs out, and a later run claims it again. A run that fails cleanly records its
-- error and postpones the next try (exponential backoff); after p_max_attempts it gives up until
-- someone re-runs it by hand (`uv run dotline ingest --conversation UUID`).
--   select * from private.claim_conversations_for_ingestion(10, interval '5 minutes');
-- Internal: private schema, service_role only.

create table if not exists private.conversation_ingestions (
  conversation_id uuid primary key,
  user_id uuid not null,
  attempts integer not null default 0,
  lease_expires_at timestamptz,
  started_at timestamptz,
  finished_at timestamptz,
  gave_up_at timestamptz,
  last_error text,
  extractor text,
  counts jsonb not null default '{}'::jsonb,
  updated_at timestamptz not null default now(),
  constraint conversation_ingestions_conversation_fk foreign key (conversation_id, user_id)
    references public.conversations (conversation_id, user_id) on delete cascade,
  constraint conversation_ingestions_attempts_nonnegative check (attempts >= 0),
  constraint conversation_ingestions_error_length check (last_error is null or char_length(last_error) <= 2000),
  constraint conversation_ingestions_counts_object check (jsonb_typeof(counts) = 'object')
);
comment on table private.conversation_ingestions is
  'One row per conversation ingestion: attempts, the lease of the run holding it, its last error and what it wrote.';
comment on column private.conversation_ingestions.lease_expires_at is
  'While processing: when another run may take the conversation over (the holder died or failed and backs off).';
comment on column private.conversation_ingestions.gave_up_at is
  'Set after the last allowed attempt failed: no scheduled run claims it again; a by-hand run may.';

alter table private.conversation_ingestions enable row level security;

create index if not exists conversation_ingestions_user_idx on private.conversation_ingestions (user_id);

revoke all on table private.conversation_ingestions from public, anon, authenticated;
grant all on table private.conversation_ingestions to service_role;

-- The claim scans only conversations waiting for ingestion (ended, or processing under a lease).
create index if not exists conversations_awaiting_ingestion_idx
  on public.conversations (ended_at, conversation_id)
  where status in ('ended', 'processing');

create or replace function private.claim_conversations_for_ingestion(
  p_limit integer,
  p_lease interval,
  p_conversation_id uuid default null,
  p_user_id uuid default null,
  p_max_attempts integer default 5,
  p_exclude uuid[] default '{}'
) returns table (conversation_id uuid, user_id uuid, app_id uuid, attempt integer)
language plpgsql
security definer
set search_path = ''
as $$
begin
  if p_conversation_id is null then
    update private.conversation_ingestions i
    set gave_up_at = now(),
        last_error = coalesce(i.last_error, 'every run that took it died before finishing'),
        updated_at = now()
    from public.conversations c
    where c.conversation_id = i.conversation_id and c.status = 'processing'
      and (p_user_id is null or c.user_id = p_user_id)
      and i.gave_up_at is null and i.lease_expires_at <= now() and i.attempts >= p_max_attempts;
  end if;
  return query
  with due as (
    select c.conversation_id, c.user_id
    from public.conversations c
    left join private.conversation_ingestions i on i.conversation_id = c.conversation_id
    where (p_conversation_id is null or c.conversation_id = p_conversation_id)
      and (p_user_id is null or c.user_id = p_user_id)
      and not (c.conversation_id = any(p_exclude))
      and (
        c.status = 'ended'
        or (c.status = 'processing' and (i.lease_expires_at is null or i.lease_expires_at <= now())
            and (i.gave_up_at is null or p_conversation_id is not null))
        or (c.status = 'processed' and p_conversation_id is not null)
      )
    order by c.ended_at nulls first, c.conversation_id
    limit p_limit
    for update of c skip locked
  ),
  leased as (
    insert into private.conversation_ingestions as i
      (conversation_id, user_id, attempts, lease_expires_at, started_at)
    select d.conversation_id, d.user_id, 1, now() + p_lease, now() from due d
    on conflict on constraint conversation_ingestions_pkey do update
    set attempts = i.attempts + 1,
        lease_expires_at = excluded.lease_expires_at,
        started_at = excluded.started_at,
        finished_at = null,
        gave_up_at = null,
        updated_at = now()
    where i.lease_expires_at is null or i.lease_expires_at <= now()
    returning i.conversation_id, i.attempts
  ),
  moved as (
    update public.conversations c
    set status = 'processing'
    from leased l
    where c.conversation_id = l.conversation_id
    returning c.conversation_id, c.user_id, c.app_id
  )
  select m.conversation_id, m.user_id, m.app_id, l.attempts
  from moved m join leased l on l.conversation_id = m.conversation_id;
end;
$$;
comment on function private.claim_conversations_for_ingestion(integer, interval, uuid, uuid, integer, uuid[]) is
  'Moves up to p_limit ended (or lease-expired processing) conversations to processing under a lease of p_lease, giving up on those claimed p_max_attempts times; returns them with their attempt number. A lease another run holds is never taken, whatever the snapshot.';

revoke all on function private.claim_conversations_for_ingestion(integer, interval, uuid, uuid, integer, uuid[]) from public, anon, authenticated;
grant execute on function private.claim_conversations_for_ingestion(integer, interval, uuid, uuid, integer, uuid[]) to service_role;

-- Marks a claimed conversation processed, with what ingestion made of it.
create or replace function private.finish_conversation_ingestion(
  p_conversation_id uuid,
  p_extractor text,
  p_counts jsonb,
  p_importance_score double precision,
  p_context_summary text
) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
begin
  update public.conversations
  set status = 'processed',
      importance_score = p_importance_score,
      context_summary = p_context_summary
  where conversation_id = p_conversation_id and status = 'processing';
  if not found then
    return false;
  end if;
  update private.conversation_ingestions
  set lease_expires_at = null, finished_at = now(), last_error = null, extractor = p_extractor,
      counts = p_counts, updated_at = now()
  where conversation_id = p_conversation_id;
  return true;
end;
$$;
comment on function private.finish_conversation_ingestion(uuid, text, jsonb, double precision, text) is
  'Moves a processing conversation to processed, sets its importance and summary, and records the run; false when it was not processing.';

-- Records a failed attempt: the conversation stays processing, its lease is pushed out to
-- p_retry_after from now (the backoff), and after p_max_attempts the run gives up on it.
create or replace function private.fail_conversation_ingestion(
  p_conversation_id uuid,
  p_error text,
  p_retry_after interval,
  p_max_attempts integer
) returns boolean
language sql
security definer
set search_path = ''
as $$
  update private.conversation_ingestions
  set last_error = left(p_error, 2000),
      lease_expires_at = now() + p_retry_after,
      gave_up_at = case when attempts >= p_max_attempts then now() end,
      updated_at = now()
  where conversation_id = p_conversation_id
  returning gave_up_at is not null
$$;
comment on function private.fail_conversation_ingestion(uuid, text, interval, integer) is
  'Records an ingestion failure and when to retry; returns true when that was the last allowed attempt.';
revoke all on function private.finish_conversation_ingestion(uuid, text, jsonb, double precision, text) from public, anon, authenticated;
revoke all on function private.fail_conversation_ingestion(uuid, text, interval, integer) from public, anon, authenticated;
grant execute on function private.finish_conversation_ingestion(uuid, text, jsonb, double precision, text) to service_role;
grant execute on function private.fail_conversation_ingestion(uuid, text, interval, integer) to service_role;

-- The extraction an ingestion run got from the extractor, kept with the conversation's ingestion
-- record. A retry after a later step failed (the graph, the vectors), a run taking over from one
-- that died, and a by-hand re-run all reuse it instead of asking the language model again: no
-- second bill, and a remote model's different wording the second time cannot add concepts or
-- edges that the first run did not. turns_digest fingerprints the turns it was made from; when
-- the conversation's turns change (it was reopened and talked on), the extraction is made anew.
alter table private.conversation_ingestions add column if not exists extraction jsonb;
alter table private.conversation_ingestions add column if not exists turns_digest text;
comment on column private.conversation_ingestions.extraction is
  'The extractor''s answer (the port''s Extraction as JSON), reused by every later run over the same turns.';
comment on column private.conversation_ingestions.turns_digest is
  'SHA-256 over the turns (id, role, content) the extraction was made from.';

do $$
begin
  if not exists (select 1 from pg_constraint where conname = 'conversation_ingestions_extraction_object') then
    alter table private.conversation_ingestions add constraint conversation_ingestions_extraction_object
      check (extraction is null or jsonb_typeof(extraction) = 'object');
  end if;
  if not exists (select 1 from pg_constraint where conname = 'conversation_ingestions_extraction_has_digest') then
    alter table private.conversation_ingestions add constraint conversation_ingestions_extraction_has_digest
      check ((extraction is null) = (turns_digest is null));
  end if;
end
$$;
