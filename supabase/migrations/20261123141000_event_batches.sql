-- Event batches: one row per batch of behaviour events a client uploads (POST /v1/events), so a
-- retried upload writes nothing twice. The batch is claimed in the same transaction that inserts
-- its events: a replay finds the claim and gets the first answer back; concurrent duplicates wait
-- on the primary key until the first commits (or rolls back, releasing the id). Internal: private
-- schema, reached by clients only through private.claim_event_batch().

create table if not exists private.event_batches (
  user_id uuid not null constraint event_batches_user_fk references auth.users (id) on delete cascade,
  batch_id uuid not null,
  request_hash text not null,
  event_count integer not null,
  received_at timestamptz not null default now(),
  constraint event_batches_pkey primary key (user_id, batch_id),
  constraint event_batches_event_count_range check (event_count between 0 and 1000),
  constraint event_batches_request_hash_length check (char_length(request_hash) between 1 and 128)
);
comment on table private.event_batches is
  'Behaviour event batches already received, per user: the idempotency record of POST /v1/events.';

alter table private.event_batches enable row level security;

create index if not exists event_batches_received_at_idx on private.event_batches (received_at);

revoke all on table private.event_batches from public, anon, authenticated;
grant all on table private.event_batches to service_role;

-- Claims p_batch_id for the caller. The first claim stores the count and request hash and returns
-- replayed = false; any later one (same user, same id) returns what the first stored and
-- replayed = true. Another user's batch with the same id is a different batch.
create or replace function private.claim_event_batch(
  p_batch_id uuid,
  p_event_count integer,
  p_request_hash text
)
returns table (batch_event_count integer, batch_request_hash text, batch_received_at timestamptz, replayed boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_user_id uuid := auth.uid();
begin
  if v_user_id is null then
    raise exception 'claim_event_batch needs an authenticated caller' using errcode = '42501';
  end if;
  return query
    insert into private.event_batches as b (user_id, batch_id, request_hash, event_count)
    values (v_user_id, p_batch_id, p_request_hash, p_event_count)
    on conflict on constraint event_batches_pkey do nothing
    returning b.event_count, b.request_hash, b.received_at, false;
  if not found then
    return query
      select b.event_count, b.request_hash, b.received_at, true
        from private.event_batches b
       where b.user_id = v_user_id and b.batch_id = p_batch_id;
  end if;
end;
$$;
comment on function private.claim_event_batch(uuid, integer, text) is
  'Records the caller''s event batch once; a replay returns the first claim with replayed = true.';
revoke all on function private.claim_event_batch(uuid, integer, text) from public, anon;
grant execute on function private.claim_event_batch(uuid, integer, text) to authenticated;
