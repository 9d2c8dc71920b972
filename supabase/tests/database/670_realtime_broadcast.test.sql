-- Live updates on Supabase Realtime Broadcast: who may receive on which topic (the policies on
-- realtime.messages, read the way Realtime authorises a private join: the person's role and
-- claims, realtime.topic set to the channel's topic), that no client may send, and that the
-- changes living in Postgres are broadcast in their own transaction, in the one envelope.
begin;
create extension if not exists pgtap with schema extensions;
select plan(17);

select policies_are('realtime', 'messages', array[
  'A person receives broadcasts on their own live topics only',
  'Nobody sends on any topic from a client'
], 'one policy to receive, one refusing to send');

insert into auth.users (id, email) values
  ('67000000-0000-4000-8000-0000000000a1', 'live-a@example.com'),
  ('67000000-0000-4000-8000-0000000000b2', 'live-b@example.com');

-- Changes that live in Postgres, each broadcast by the transaction that makes it.
insert into public.challenge_templates (challenge_template_id, name) values
  ('67000000-0000-4000-8000-0000000000c1', 'Cold showers');
insert into public.user_challenges (user_challenge_id, user_id, challenge_template_id) values
  ('67000000-0000-4000-8000-0000000000d1', '67000000-0000-4000-8000-0000000000a1',
   '67000000-0000-4000-8000-0000000000c1');
update public.user_challenges set progress = '{"days": 1}'
where user_challenge_id = '67000000-0000-4000-8000-0000000000d1';
update public.user_challenges set status = 'abandoned'
where user_challenge_id = '67000000-0000-4000-8000-0000000000d1';
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title) values
  ('67000000-0000-4000-8000-0000000000e1', '67000000-0000-4000-8000-0000000000a1', 'insight_summary', 'Your week'),
  ('67000000-0000-4000-8000-0000000000e2', '67000000-0000-4000-8000-0000000000a1', 'trophy', 'A trophy');
select private.announce_card_evolution(card_id, 'sprout', 'seed') from public.cards
where source_entity_id = '67000000-0000-4000-8000-0000000000e1';
select private.announce_card_evolution(card_id, 'sprout', 'seed') from public.cards
where source_entity_id = '67000000-0000-4000-8000-0000000000e1';  -- the same state: not again

select set_eq(
  $$select event from realtime.messages
    where topic = 'user:67000000-0000-4000-8000-0000000000a1:challenges'$$,
  array['challenge.new', 'challenge.progress', 'challenge.abandoned'],
  'a challenge started, progressed and abandoned is broadcast on its owner''s challenges topic');
select is(
  (select payload from realtime.messages
   where topic = 'user:67000000-0000-4000-8000-0000000000a1:challenges'
     and event = 'challenge.progress') - 'version',
  '{"kind": "challenge.progress", "id": "67000000-0000-4000-8000-0000000000d1",
    "data": {"title": "Cold showers", "status": "active", "progress": {"days": 1}}}'::jsonb,
  'in the one envelope: kind, id, version, data');
select results_eq(
  $$select payload ->> 'id' from realtime.messages
    where topic = 'user:67000000-0000-4000-8000-0000000000a1:insights'$$,
  array['67000000-0000-4000-8000-0000000000e1'],
  'an insight summary is broadcast on the insights topic, a trophy is not');
select results_eq(
  $$select payload -> 'data' from realtime.messages
    where topic = 'user:67000000-0000-4000-8000-0000000000a1:cards' and event = 'card.evolved'$$,
  $$values ('{"evolution_state": "sprout"}'::jsonb)$$,
  'a card evolution is broadcast once, when its state changes');
select ok(
  (select bool_and(private and extension = 'broadcast') from realtime.messages
   where topic like 'user:67000000-0000-4000-8000-0000000000a1:%'),
  'every broadcast is private');

savepoint undone;
update public.cards set is_favorited = true
where source_entity_id = '67000000-0000-4000-8000-0000000000e1';
select is(
  (select count(*)::int from realtime.messages where event = 'card.updated'
     and topic = 'user:67000000-0000-4000-8000-0000000000a1:cards'),
  1, 'a favourite card is broadcast as card.updated');
rollback to savepoint undone;
select is(
  (select count(*)::int from realtime.messages where event = 'card.updated'
     and topic = 'user:67000000-0000-4000-8000-0000000000a1:cards'),
  0, 'a change rolled back takes its broadcast with it');

-- Receiving: the owner on their own topic.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "67000000-0000-4000-8000-0000000000a1", "role": "authenticated"}', true);
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000a1:challenges', true);
select is((select count(*)::int from realtime.messages), 3,
  'the owner reads their challenges topic''s messages');
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000a1:insights', true);
select is((select count(*)::int from realtime.messages), 1,
  'the owner reads only the topic they joined');
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000a1:diary', true);
select is((select count(*)::int from realtime.messages), 0,
  'a topic that is no live channel of theirs is not readable');
select throws_ok(
  $$insert into realtime.messages (topic, extension, event, payload)
    values ('user:67000000-0000-4000-8000-0000000000a1:challenges', 'broadcast', 'x', '{}')$$,
  '42501', null, 'the owner cannot send on their own topic');

-- Another person, on the owner's topic and on their own.
select set_config('request.jwt.claims', '{"sub": "67000000-0000-4000-8000-0000000000b2", "role": "authenticated"}', true);
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000a1:challenges', true);
select is((select count(*)::int from realtime.messages), 0,
  'another person cannot read the owner''s topic');
select throws_ok(
  $$insert into realtime.messages (topic, extension, event, payload)
    values ('user:67000000-0000-4000-8000-0000000000a1:challenges', 'broadcast', 'x', '{}')$$,
  '42501', null, 'another person cannot send on the owner''s topic');
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000b2:challenges', true);
select throws_ok(
  $$insert into realtime.messages (topic, extension, event, payload)
    values ('user:67000000-0000-4000-8000-0000000000b2:challenges', 'broadcast', 'x', '{}')$$,
  '42501', null, 'nor on their own');
reset role;

-- anon.
set local role anon;
select set_config('request.jwt.claims', '{"role": "anon"}', true);
select set_config('realtime.topic', 'user:67000000-0000-4000-8000-0000000000a1:challenges', true);
select is((select count(*)::int from realtime.messages), 0, 'anon cannot read the owner''s topic');
select throws_ok(
  $$insert into realtime.messages (topic, extension, event, payload)
    values ('user:67000000-0000-4000-8000-0000000000a1:challenges', 'broadcast', 'x', '{}')$$,
  '42501', null, 'anon cannot send');
reset role;

select * from finish();
rollback;
