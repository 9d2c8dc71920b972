-- Live updates to a person's devices through Supabase Realtime Broadcast on private channels.
--
-- Topics: `user:{uid}:orb_state|cards|challenges|insights|scene`. A signed-in person may receive
-- (SELECT) broadcasts on their own five topics only; no client may send (INSERT) on any topic.
-- Supabase Realtime authorises a private channel's join by running that SELECT as the person,
-- with `realtime.topic()` set to the channel's topic.
--
-- What lives in Postgres is sent from Postgres, in the transaction that makes the change
-- (`realtime.send(envelope, kind, topic, true)`): a card's evolution and its status or favourite,
-- a challenge started, progressed or settled, a new insight. A rolled-back change sends nothing.
-- The orb state and the scene live in Redis: the functions send those through Realtime's
-- broadcast API (`dotline.adapters.supabase_realtime`). Every message is one envelope:
-- `{"kind", "id", "version", "data"}`.

-- Who may receive what. --------------------------------------------------------------------------

create policy "A person receives broadcasts on their own live topics only"
  on realtime.messages
  for select
  to authenticated
  using (
    extension = 'broadcast'
    and topic = (select realtime.topic())
    and (select realtime.topic()) in (
      'user:' || (select auth.uid())::text || ':orb_state',
      'user:' || (select auth.uid())::text || ':cards',
      'user:' || (select auth.uid())::text || ':challenges',
      'user:' || (select auth.uid())::text || ':insights',
      'user:' || (select auth.uid())::text || ':scene'
    )
  );

create policy "Nobody sends on any topic from a client"
  on realtime.messages
  as restrictive
  for insert
  to anon, authenticated
  with check (false);

-- Sending. ----------------------------------------------------------------------------------------

create or replace function private.send_live(
  p_user_id uuid, p_channel text, p_kind text, p_id uuid, p_version bigint, p_data jsonb
) returns void
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform realtime.send(
    jsonb_build_object('kind', p_kind, 'id', p_id, 'version', p_version, 'data', p_data),
    p_kind,
    'user:' || p_user_id::text || ':' || p_channel,
    true
  );
end;
$$;
comment on function private.send_live(uuid, text, text, uuid, bigint, jsonb) is
  'Broadcasts one envelope {kind, id, version, data} on the person''s private topic user:{uid}:{channel}, in the caller''s transaction.';
revoke all on function private.send_live(uuid, text, text, uuid, bigint, jsonb) from public, anon, authenticated;
grant execute on function private.send_live(uuid, text, text, uuid, bigint, jsonb) to service_role;

create or replace function private.version_of(p_at timestamptz) returns bigint
language sql immutable
set search_path = ''
as $$
  select (extract(epoch from p_at) * 1000000)::bigint
$$;
comment on function private.version_of(timestamptz) is
  'An envelope version from a change time: microseconds since the epoch, increasing with each change.';

-- Cards: the evolution noted by private.note_card_evolution, announced when it changed.
create or replace function private.announce_card_evolution(
  p_card_id uuid, p_state text, p_default_state text
) returns boolean
language plpgsql
security definer
set search_path = ''
as $$
declare
  changed boolean := private.note_card_evolution(p_card_id, p_state, p_default_state);
  owner uuid;
begin
  if changed then
    select c.user_id into owner from public.cards c where c.card_id = p_card_id;
    perform private.send_live(
      owner, 'cards', 'card.evolved', p_card_id, private.version_of(clock_timestamp()),
      jsonb_build_object('evolution_state', p_state)
    );
  end if;
  return changed;
end;
$$;
comment on function private.announce_card_evolution(uuid, text, text) is
  'private.note_card_evolution, and when the state changed a card.evolved broadcast on the owner''s cards topic, in the same transaction.';
revoke all on function private.announce_card_evolution(uuid, text, text) from public, anon, authenticated;
grant execute on function private.announce_card_evolution(uuid, text, text) to service_role;

-- Cards: status and favourite, however they change (the API, a concept merge).
create or replace function private.broadcast_card_update() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.send_live(
    new.user_id, 'cards', 'card.updated', new.card_id, private.version_of(clock_timestamp()),
    jsonb_build_object('status', new.status, 'is_favorited', new.is_favorited)
  );
  return null;
end;
$$;
comment on function private.broadcast_card_update() is
  'Trigger: a card.updated broadcast on the owner''s cards topic when a card''s status or favourite changes.';
revoke all on function private.broadcast_card_update() from public, anon, authenticated;

create trigger cards_broadcast_update
  after update of status, is_favorited on public.cards
  for each row
  when (old.status is distinct from new.status or old.is_favorited is distinct from new.is_favorited)
  execute function private.broadcast_card_update();

-- Challenges: new, progress, completed, abandoned, expired.
create or replace function private.broadcast_challenge_change() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
declare
  kind text;
begin
  if tg_op = 'INSERT' then
    kind := 'challenge.new';
  elsif new.status is distinct from old.status then
    kind := 'challenge.' || new.status;
  elsif new.progress is distinct from old.progress then
    kind := 'challenge.progress';
  else
    return null;
  end if;
  perform private.send_live(
    new.user_id, 'challenges', kind, new.user_challenge_id, private.version_of(new.updated_at),
    jsonb_build_object(
      'title', (select t.name from public.challenge_templates t
                where t.challenge_template_id = new.challenge_template_id),
      'status', new.status,
      'progress', new.progress
    )
  );
  return null;
end;
$$;
comment on function private.broadcast_challenge_change() is
  'Trigger: a challenge.new|progress|completed|abandoned|expired broadcast on the owner''s challenges topic.';
revoke all on function private.broadcast_challenge_change() from public, anon, authenticated;

create trigger user_challenges_broadcast_change
  after insert or update of status, progress on public.user_challenges
  for each row execute function private.broadcast_challenge_change();

-- Insights: each insight summary and cycle report the insight cycle writes.
create or replace function private.broadcast_insight() returns trigger
language plpgsql
security definer
set search_path = ''
as $$
begin
  perform private.send_live(
    new.user_id, 'insights', 'insight.created', new.artifact_id, private.version_of(new.created_at),
    jsonb_build_object('artifact_type', new.artifact_type, 'title', new.title, 'urgency', 'normal')
  );
  return null;
end;
$$;
comment on function private.broadcast_insight() is
  'Trigger: an insight.created broadcast on the owner''s insights topic for each insight summary or cycle report.';
revoke all on function private.broadcast_insight() from public, anon, authenticated;

create trigger derived_artifacts_broadcast_insight
  after insert on public.derived_artifacts
  for each row
  when (new.artifact_type in ('insight_summary', 'cycle_report'))
  execute function private.broadcast_insight();
