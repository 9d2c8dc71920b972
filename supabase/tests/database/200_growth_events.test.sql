-- Growth events: the ledger's checks, append-only rules, the growth profile kept in sync,
-- recompute, and the materialized per-entity scores served to the caller only.
begin;
create extension if not exists pgtap with schema extensions;
select plan(19);

insert into auth.users (id, email) values
  ('20000000-0000-0000-0000-0000000000a1', 'growth-a@example.com'),
  ('20000000-0000-0000-0000-0000000000b1', 'growth-b@example.com');

-- checks
select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_feel', 0.1, 'test')$$,
  '23514', null, 'dim_key outside the six dimensions is rejected');
select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'planet', 'self_know', 0.1, 'test')$$,
  '23514', null, 'an unknown entity_type is rejected');
select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 'NaN', 'test')$$,
  '23514', null, 'a NaN delta is rejected');
select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 0.1, '')$$,
  '23514', null, 'an empty source is rejected');
select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source, details)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 0.1, 't', '[]')$$,
  '23514', null, 'details that are not an object are rejected');

-- the server appends; the profile follows, one statement for many users and dimensions
insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source) values
  ('20000000-0000-0000-0000-0000000000a1', '20000000-0000-0000-0000-00000000c001', 'concept', 'self_know', 0.25, 'journal_entry'),
  ('20000000-0000-0000-0000-0000000000a1', '20000000-0000-0000-0000-00000000c001', 'concept', 'self_know', 0.25, 'journal_entry'),
  ('20000000-0000-0000-0000-0000000000a1', '20000000-0000-0000-0000-00000000c001', 'concept', 'world_act', 0.5, 'challenge_complete'),
  ('20000000-0000-0000-0000-0000000000b1', '20000000-0000-0000-0000-00000000c002', 'memory', 'self_show', 1, 'journal_entry');

select is((select growth_profile from public.profiles where user_id = '20000000-0000-0000-0000-0000000000a1'),
  '{"self_know": 0.5, "world_act": 0.5}'::jsonb, 'inserted deltas are summed into the owner''s growth_profile');
select is((select growth_profile from public.profiles where user_id = '20000000-0000-0000-0000-0000000000b1'),
  '{"self_show": 1}'::jsonb, 'another user''s profile gets only their own deltas');

insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
values ('20000000-0000-0000-0000-0000000000a1', '20000000-0000-0000-0000-00000000c001', 'concept', 'world_act', -0.25, 'decay');
select is((select growth_profile from public.profiles where user_id = '20000000-0000-0000-0000-0000000000a1'),
  '{"self_know": 0.5, "world_act": 0.25}'::jsonb, 'a later negative delta is added to the existing sum');

select throws_ok(
  $$update public.growth_events set delta = 9 where user_id = '20000000-0000-0000-0000-0000000000a1'$$,
  '42501', null, 'even the server cannot update a growth event (append-only)');

delete from public.growth_events where user_id = '20000000-0000-0000-0000-0000000000a1' and source = 'decay';
select is((select growth_profile from public.profiles where user_id = '20000000-0000-0000-0000-0000000000a1'),
  '{"self_know": 0.5, "world_act": 0.5}'::jsonb, 'a server-side delete subtracts its delta');

update public.profiles set growth_profile = '{"self_know": 42}' where user_id = '20000000-0000-0000-0000-0000000000a1';
select is(private.recompute_growth_profile('20000000-0000-0000-0000-0000000000a1'), 1, 'recompute touches one profile');
select is((select growth_profile from public.profiles where user_id = '20000000-0000-0000-0000-0000000000a1'),
  '{"self_know": 0.5, "world_act": 0.5}'::jsonb, 'recompute rebuilds growth_profile from the ledger');

set local role authenticated;
select set_config('request.jwt.claims',
  json_build_object('sub', '20000000-0000-0000-0000-0000000000a1', 'role', 'authenticated')::text, true);

select results_eq(
  $$select dim_key, total_score, entity_count from api.growth_summary('20000000-0000-0000-0000-0000000000a1')$$,
  $$values ('self_know'::text, 0.5::double precision, 1::bigint), ('world_act', 0.5, 1)$$,
  'growth_summary sums the caller''s ledger per dimension');
select is_empty($$select * from api.growth_summary('20000000-0000-0000-0000-0000000000b1')$$,
  'growth_summary of another user is empty under RLS');
select is((select count(*)::integer from public.growth_events), 3, 'the owner reads only their own events');

select throws_ok(
  $$insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source)
    values ('20000000-0000-0000-0000-0000000000a1', gen_random_uuid(), 'concept', 'self_know', 5, 'cheat')$$,
  '42501', null, 'a client cannot append growth deltas, even for itself');
select throws_ok(
  $$update public.growth_events set delta = 5$$,
  '42501', null, 'a client cannot change growth deltas');
select throws_ok(
  $$delete from public.growth_events$$,
  '42501', null, 'a client cannot delete growth events');
select throws_ok(
  $$update public.profiles set growth_profile = '{"self_know": 99}'$$,
  '42501', null, 'a client cannot write its growth_profile');

reset role;
select * from finish();
rollback;
