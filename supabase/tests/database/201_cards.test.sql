-- Cards: checks, what a person may change, and evolution computed from configured thresholds.
begin;
create extension if not exists pgtap with schema extensions;
select plan(13);

insert into auth.users (id, email) values
  ('20100000-0000-0000-0000-0000000000a1', 'cards-a@example.com'),
  ('20100000-0000-0000-0000-0000000000b1', 'cards-b@example.com');

select throws_ok(
  $$insert into public.cards (user_id, card_type, source_entity_id, source_entity_type, status)
    values ('20100000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'concept', 'on_fire')$$,
  '23514', null, 'a status outside active_canvas/active_archive/completed is rejected');
select throws_ok(
  $$insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)
    values ('20100000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'MemoryUnit')$$,
  '23514', null, 'source_entity_type uses the shared lowercase vocabulary');
select throws_ok(
  $$insert into public.cards (user_id, card_type, source_entity_id, source_entity_type, display_data)
    values ('20100000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'concept', '"x"')$$,
  '23514', null, 'display_data must be an object');

-- three cards of user A: a bare one, one with growth in 3 dimensions, one well connected
insert into public.cards (card_id, user_id, card_type, source_entity_id, source_entity_type) values
  ('20100000-0000-0000-0000-00000000ca01', '20100000-0000-0000-0000-0000000000a1', 'concept', '20100000-0000-0000-0000-00000000e001', 'concept'),
  ('20100000-0000-0000-0000-00000000ca02', '20100000-0000-0000-0000-0000000000a1', 'memory', '20100000-0000-0000-0000-00000000e002', 'memory'),
  ('20100000-0000-0000-0000-00000000ca03', '20100000-0000-0000-0000-0000000000a1', 'concept', '20100000-0000-0000-0000-00000000e003', 'concept'),
  ('20100000-0000-0000-0000-00000000cb01', '20100000-0000-0000-0000-0000000000b1', 'concept', '20100000-0000-0000-0000-00000000e004', 'concept');
insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e002', 'memory', 'self_know', 0.2, 't'),
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e002', 'memory', 'self_act', 0.2, 't'),
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e002', 'memory', 'world_show', 0.2, 't'),
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e002', 'memory', 'world_know', 0.2, 't'),
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e002', 'memory', 'world_know', -0.2, 't'),
  ('20100000-0000-0000-0000-0000000000a1', '20100000-0000-0000-0000-00000000e003', 'concept', 'self_know', 0.1, 't');
insert into public.graph_connection_stats (user_id, entity_type, entity_id, connection_count) values
  ('20100000-0000-0000-0000-0000000000a1', 'concept', '20100000-0000-0000-0000-00000000e003', 7);

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20100000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select results_eq(
  $$select card_id, connection_count, dimension_count, evolution_state
    from api.card_evolution('[{"state":"constellation","min_connections":5},
                                 {"state":"bloom","min_dimensions":3},
                                 {"state":"sprout","min_dimensions":1}]', 'seed')
    order by card_id$$,
  $$values ('20100000-0000-0000-0000-00000000ca01'::uuid, 0, 0, 'seed'::text),
           ('20100000-0000-0000-0000-00000000ca02', 0, 3, 'bloom'),
           ('20100000-0000-0000-0000-00000000ca03', 7, 1, 'constellation')$$,
  'V7 thresholds: seed, bloom (3 positive dimensions), constellation (5+ connections); only the caller''s cards');
select is(
  (select evolution_state from api.card_evolution(
     '[{"state":"supernova","min_connections":5,"min_dimensions":2},{"state":"sprout","min_dimensions":1}]',
     'seed', '20100000-0000-0000-0000-00000000ca03')),
  'sprout', 'other thresholds from configuration change the state, nothing stored');
select is_empty(
  $$select * from api.card_evolution('[]', 'seed', '20100000-0000-0000-0000-00000000cb01')$$,
  'another user''s card is not evaluated');

select lives_ok(
  $$update public.cards set is_favorited = true, status = 'active_archive'
    where card_id = '20100000-0000-0000-0000-00000000ca01'$$,
  'the owner favourites and archives a card');
select is((select status from public.cards where card_id = '20100000-0000-0000-0000-00000000ca01'),
  'active_archive', 'the owner''s change is stored');
select throws_ok(
  $$update public.cards set display_data = '{}' where card_id = '20100000-0000-0000-0000-00000000ca01'$$,
  '42501', null, 'display_data is server-only');
select throws_ok(
  $$update public.cards set is_synced = false where card_id = '20100000-0000-0000-0000-00000000ca01'$$,
  '42501', null, 'is_synced is server-only');
select throws_ok(
  $$insert into public.cards (user_id, card_type, source_entity_id, source_entity_type)
    values ('20100000-0000-0000-0000-0000000000a1', 'concept', gen_random_uuid(), 'concept')$$,
  '42501', null, 'clients do not create cards (the card worker does)');
select is_empty(
  $$update public.cards set is_favorited = true where card_id = '20100000-0000-0000-0000-00000000cb01' returning 1$$,
  'another user''s card cannot be updated');
select throws_ok(
  $$update public.cards set user_id = '20100000-0000-0000-0000-0000000000b1'$$,
  '42501', null, 'a card cannot be handed to another user');

reset role;
select * from finish();
rollback;
