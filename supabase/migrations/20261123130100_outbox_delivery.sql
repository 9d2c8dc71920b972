-- Delivering the outbox (shared/dotline/services/outbox.py): claim the head of each row's queue,
-- settle an attempt (delivered, retried after a backoff, or dead), redrive dead rows, and sum up
-- the outbox for `dotline outbox status`. The caller owns the transaction: claimed rows stay
-- locked until it ends, so a dispatcher that dies leaves them pending for the next.

-- Claim: due rows, oldest first, each the earliest pending change of its row, locked until the
-- caller's transaction ends; rows another dispatcher holds are skipped, not waited for.
create or replace function private.claim_outbox(batch_size integer)
returns setof private.outbox
language sql
security definer
set search_path = ''
as $$
  select o.*
  from private.outbox o
  where o.status = 'pending'
    and o.next_attempt_at <= now()
    and not exists (
      select 1 from private.outbox earlier
      where earlier.status = 'pending'
        and earlier.table_name = o.table_name
        and earlier.row_key = o.row_key
        and earlier.outbox_id < o.outbox_id
    )
  order by o.next_attempt_at, o.outbox_id
  limit batch_size
  for update of o skip locked
$$;
comment on function private.claim_outbox(integer) is
  'Locks up to batch_size due outbox rows (the head of each row''s queue) for delivery.';

create or replace function private.settle_outbox_delivery(
  outbox_id bigint, delivered boolean, error text, retry_after_s double precision,
  permanent boolean, max_attempts integer, unavailable boolean default false
) returns text
language sql
security definer
set search_path = ''
as $$
  update private.outbox o
  set attempts = o.attempts + 1,
      status = case
        when delivered then 'delivered'
        when permanent then 'dead'
        when o.attempts + 1 >= max_attempts and not unavailable then 'dead'
        else 'pending' end,
      delivered_at = case when delivered then now() end,
      next_attempt_at = case
        when delivered or permanent then o.next_attempt_at
        else now() + make_interval(secs => retry_after_s) end,
      last_error = case when delivered then o.last_error else left(error, 2000) end
  where o.outbox_id = settle_outbox_delivery.outbox_id
  returning o.status
$$;
comment on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean) is
  'Records one delivery attempt: delivered, retried after retry_after_s, or dead (permanent, or out of tries unless the webhook was unavailable).';

revoke all on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean)
  from public, anon, authenticated;
grant execute on function private.settle_outbox_delivery(bigint, boolean, text, double precision, boolean, integer, boolean)
  to service_role;

create or replace function private.redrive_outbox(outbox_ids bigint[] default null)
returns integer
language sql
security definer
set search_path = ''
as $$
  with redriven as (
    update private.outbox o
    set status = 'pending', attempts = 0, next_attempt_at = now()
    where o.status = 'dead' and (outbox_ids is null or o.outbox_id = any (outbox_ids))
    returning 1
  )
  select count(*)::integer from redriven
$$;
comment on function private.redrive_outbox(bigint[]) is
  'Puts dead rows (the given ones, or all when null) back to pending with fresh attempts; returns how many.';

create or replace function private.outbox_summary()
returns table (status text, events bigint, oldest timestamptz, next_attempt_at timestamptz)
language sql
stable
security definer
set search_path = ''
as $$
  select o.status, count(*), min(o.created_at), min(o.next_attempt_at)
  from private.outbox o
  group by o.status
  order by o.status
$$;
comment on function private.outbox_summary() is 'Outbox rows per status, with the oldest and the next due.';

revoke all on function private.claim_outbox(integer) from public, anon, authenticated;
revoke all on function private.redrive_outbox(bigint[]) from public, anon, authenticated;
revoke all on function private.outbox_summary() from public, anon, authenticated;
grant execute on function private.claim_outbox(integer) to service_role;
grant execute on function private.redrive_outbox(bigint[]) to service_role;
grant execute on function private.outbox_summary() to service_role;
