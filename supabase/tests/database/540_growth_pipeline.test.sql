-- The growth pipeline's SQL: one card per entity by trigger, evolution announcements noted once,
-- per-app progress counted with milestones, and who is due for an insight cycle.
begin;
create extension if not exists pgtap with schema extensions;
select plan(22);

insert into auth.users (id, email) values
  ('54000000-0000-0000-0000-0000000000a1', 'pipeline-a@example.com'),
  ('54000000-0000-0000-0000-0000000000b1', 'pipeline-b@example.com');

-- cards made by trigger (ids 54...e*)
set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '54000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);
insert into public.memories (memory_id, user_id, title, content)
  values ('54000000-0000-0000-0000-0000000000e1', '54000000-0000-0000-0000-0000000000a1', 'Lake', 'Swam');
reset role;
select results_eq(
  $$select card_type, source_entity_type from public.cards
    where source_entity_id = '54000000-0000-0000-0000-0000000000e1'$$,
  $$values ('memory'::text, 'memory'::text)$$,
  'a memory a person writes under RLS gets its card, which only the server may write');
insert into public.derived_artifacts (artifact_id, user_id, artifact_type, title)
  values ('54000000-0000-0000-0000-0000000000e2', '54000000-0000-0000-0000-0000000000a1', 'trophy', 'Streak');
select is((select card_type from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e2'),
  'trophy', 'an artifact''s card is typed by its artifact_type');
insert into public.proactive_prompts (prompt_id, user_id, prompt_text, source_agent)
  values ('54000000-0000-0000-0000-0000000000e3', '54000000-0000-0000-0000-0000000000a1', 'Why?', 'test');
insert into public.concepts (concept_id, user_id, name, type)
  values ('54000000-0000-0000-0000-0000000000e4', '54000000-0000-0000-0000-0000000000a1', 'Swimming', 'activity');
select is((select count(*)::integer from public.cards where user_id = '54000000-0000-0000-0000-0000000000a1'),
  4, 'a memory, an artifact, a prompt and a concept: four cards');
select throws_ok(
  $$insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)
    values ('54000000-0000-0000-0000-0000000000a1', 'memory', '54000000-0000-0000-0000-0000000000e1', 'memory')$$,
  '23505', null, 'a second card for the same entity is refused');
delete from public.concepts where concept_id = '54000000-0000-0000-0000-0000000000e4';
select is_empty(
  $$select 1 from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e4'$$,
  'deleting the entity removes its card');

-- evolution announcements
select ok(not private.note_card_evolution(
    (select card_id from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e1'), 'seed', 'seed'),
  'a card first seen in the default state is no change');
select ok(private.note_card_evolution(
    (select card_id from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e1'), 'sprout', 'seed'),
  'seed to sprout is a change');
select ok(not private.note_card_evolution(
    (select card_id from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e1'), 'sprout', 'seed'),
  'the same state noted again is not');
select ok(private.note_card_evolution(
    (select card_id from public.cards where source_entity_id = '54000000-0000-0000-0000-0000000000e2'), 'bloom', 'seed'),
  'a card first seen past the default state is a change');
select ok(not private.note_card_evolution('54000000-0000-0000-0000-0000000000d9', 'bloom', 'seed'),
  'a card deleted before its state is noted is no change (a delivery racing the delete)');
select is_empty(
  $$select 1 from private.card_evolution_announcements where card_id = '54000000-0000-0000-0000-0000000000d9'$$,
  'and nothing is noted for it, where the foreign key used to refuse the whole delivery');

-- per-app progress
insert into public.apps (app_id, slug, display_name, domain)
  values ('54000000-0000-0000-0000-0000000000f1', 'pipeline_app_540', 'Coach', 'health');
select is(private.progress_milestones(10, 100, 1),
  array['first_conversation', 'ten_conversations', 'first_memory', 'hundred_messages'],
  'milestones come in threshold order');
select is(private.progress_milestones(0, 0, 0), '{}'::text[], 'no activity, no milestone');
insert into public.conversations (conversation_id, user_id, app_id)
  values ('54000000-0000-0000-0000-0000000000c1', '54000000-0000-0000-0000-0000000000a1', '54000000-0000-0000-0000-0000000000f1'),
         ('54000000-0000-0000-0000-0000000000c2', '54000000-0000-0000-0000-0000000000a1', null);
insert into public.messages (conversation_id, user_id, role, content)
  select '54000000-0000-0000-0000-0000000000c1', '54000000-0000-0000-0000-0000000000a1', 'user', 'hi ' || n
  from generate_series(1, 3) n;
insert into public.messages (conversation_id, user_id, role, content)
  values ('54000000-0000-0000-0000-0000000000c2', '54000000-0000-0000-0000-0000000000a1', 'user', 'not coaching');
select results_eq(
  $$select total_conversations, total_messages, milestones_reached from public.user_progress
    where user_id = '54000000-0000-0000-0000-0000000000a1'$$,
  $$values (1, 3, array['first_conversation'])$$,
  'coaching conversations and messages count; the companion''s own do not');
insert into public.conversations (user_id, app_id)
  select '54000000-0000-0000-0000-0000000000a1', '54000000-0000-0000-0000-0000000000f1' from generate_series(1, 9);
select is((select milestones_reached from public.user_progress where user_id = '54000000-0000-0000-0000-0000000000a1'),
  array['first_conversation', 'ten_conversations'], 'a milestone already reached is not repeated');
delete from public.messages where conversation_id = '54000000-0000-0000-0000-0000000000c1';
select is((select total_messages from public.user_progress where user_id = '54000000-0000-0000-0000-0000000000a1'),
  3, 'totals count what happened: deleting messages takes nothing back');

-- who is due for an insight cycle
update public.profiles set created_at = now() - interval '8 days'
  where user_id in ('54000000-0000-0000-0000-0000000000a1', '54000000-0000-0000-0000-0000000000b1');
select is((select count(*)::integer from private.users_due_for_insights('7 days', 10, now(), '54000000-0000-0000-0000-0000000000a1')),
  1, 'a period after sign-up, with activity since, a person is due');
select is_empty(
  $$select * from private.users_due_for_insights('7 days', 10, now(), '54000000-0000-0000-0000-0000000000b1')$$,
  'a person with nothing since is not');
select is_empty(
  $$select * from private.users_due_for_insights('30 days', 10, now(), '54000000-0000-0000-0000-0000000000a1')$$,
  'nor is one whose period has not passed');
update public.profiles set last_cycle_started_at = now() - interval '1 day'
  where user_id = '54000000-0000-0000-0000-0000000000a1';
select is_empty(
  $$select * from private.users_due_for_insights('7 days', 10, now(), '54000000-0000-0000-0000-0000000000a1')$$,
  'nor one whose last cycle began within the period');
select is(
  (select (a ->> 'conversations')::integer from private.insight_activity(
     '54000000-0000-0000-0000-0000000000a1', now() - interval '1 hour') a),
  11, 'the compiled activity counts the cycle''s conversations');
select throws_ok(
  $$set local role authenticated; select private.users_due_for_insights('7 days', 10)$$,
  '42501', null, 'people cannot list who is due');

select * from finish();
rollback;
