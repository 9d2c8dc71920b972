-- Two runs claiming at once can no longer both take a conversation.
--
-- The claim locks due conversations `for update skip locked`; under read committed, a run whose
-- snapshot predates another run's committed claim follows the row to its new version and
-- re-checks it against the ingestion row of its own snapshot (none yet, or an expired lease), so
-- it could take a conversation the other run had just leased. The lease is now taken first, by
-- an insert whose conflict arm only renews a lease that is over (or finished): it reads the
-- latest committed row, whatever the snapshot, and only what it leased moves to processing.
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
