-- Concept communities (private.replace_communities) and salience (private.refresh_concept_salience):
-- ids kept where a community continues, ended ones removed, memberships set and cleared; salience
-- from degree, mentions and recency, written only when it changes; both the server's alone, and
-- communities readable by their owner only.
begin;
create extension if not exists pgtap with schema extensions;
select plan(16);

insert into auth.users (id, email) values
  ('68000000-0000-4000-8000-000000000001', 'ana@example.com'),
  ('68000000-0000-4000-8000-000000000002', 'ben@example.com');
insert into public.concepts (concept_id, user_id, name, type) values
  ('68000000-0000-4000-8000-0000000000c1', '68000000-0000-4000-8000-000000000001', 'Swimming', 'activity'),
  ('68000000-0000-4000-8000-0000000000c2', '68000000-0000-4000-8000-000000000001', 'Lake Bled', 'place'),
  ('68000000-0000-4000-8000-0000000000c3', '68000000-0000-4000-8000-000000000001', 'Mira', 'person'),
  ('68000000-0000-4000-8000-0000000000c4', '68000000-0000-4000-8000-000000000001', 'Nursing', 'topic'),
  ('68000000-0000-4000-8000-0000000000c5', '68000000-0000-4000-8000-000000000001', 'Night shift', 'topic'),
  ('68000000-0000-4000-8000-0000000000c9', '68000000-0000-4000-8000-000000000002', 'Chess', 'topic');
insert into public.memories (user_id, title, content, created_at, attributes) values
  ('68000000-0000-4000-8000-000000000001', 'a', 'Swam with Mira', now() - interval '60 days',
   '{"concept_ids": ["68000000-0000-4000-8000-0000000000c1", "68000000-0000-4000-8000-0000000000c3"]}'),
  ('68000000-0000-4000-8000-000000000001', 'b', 'Swam again', now(),
   '{"concept_ids": ["68000000-0000-4000-8000-0000000000c1"]}'),
  ('68000000-0000-4000-8000-000000000001', 'c', 'Swam at Bled', now(),
   '{"concept_ids": ["68000000-0000-4000-8000-0000000000c1", "68000000-0000-4000-8000-0000000000c2"]}');

-- Salience.
select is((select count(*)::integer from private.refresh_concept_salience('68000000-0000-4000-8000-000000000001',
           '{"68000000-0000-4000-8000-0000000000c1": 4, "68000000-0000-4000-8000-0000000000c3": 1,
             "68000000-0000-4000-8000-0000000000c9": 9}')), 2,
          'the salience of the given concepts of the person is set (another person''s is not)');
select ok((select salience from public.concepts where concept_id = '68000000-0000-4000-8000-0000000000c1')
        > (select salience from public.concepts where concept_id = '68000000-0000-4000-8000-0000000000c3'),
          'more mentions, more links and a recent mention rank a concept higher');
select is((select salience from public.concepts where concept_id = '68000000-0000-4000-8000-0000000000c3'),
          round((0.4 * (1 - exp(-1 / 3.0)) + 0.3 * (1 - exp(-1 / 6.0)) + 0.3 * power(2.0, -60 / 30.0))::numeric, 4)::double precision,
          'one mention, one link, 60 days behind the newest memory');
select is((select salience from public.concepts where concept_id = '68000000-0000-4000-8000-0000000000c9'), null,
          'another person''s concept is left alone');
select is((select count(*)::integer from private.refresh_concept_salience('68000000-0000-4000-8000-000000000001',
           '{"68000000-0000-4000-8000-0000000000c1": 4, "68000000-0000-4000-8000-0000000000c3": 1}')), 0,
          'the same inputs again change nothing');

-- Communities: a first analysis, then one where the first group continues and the second ends.
create temporary table first_run as
select * from private.replace_communities('68000000-0000-4000-8000-000000000001',
  '[{"name": "Swimming, Lake Bled", "concept_ids": ["68000000-0000-4000-8000-0000000000c1", "68000000-0000-4000-8000-0000000000c2"]},
    {"name": "Nursing, Night shift", "concept_ids": ["68000000-0000-4000-8000-0000000000c4", "68000000-0000-4000-8000-0000000000c5",
                                                    "68000000-0000-4000-8000-0000000000c9"]}]', now());
select is((select count(*)::integer from first_run where is_new), 2, 'a first analysis makes every community new');
select is((select count(*)::integer from public.concepts where user_id = '68000000-0000-4000-8000-000000000001'
           and community_id is not null), 4, 'each grouped concept names its community');
select is((select community_id from public.concepts where concept_id = '68000000-0000-4000-8000-0000000000c9'), null,
          'another person''s concept never joins');
create temporary table second_run as
select * from private.replace_communities('68000000-0000-4000-8000-000000000001',
  '[{"name": "Swimming, Mira", "concept_ids": ["68000000-0000-4000-8000-0000000000c1", "68000000-0000-4000-8000-0000000000c2",
                                              "68000000-0000-4000-8000-0000000000c3"]}]', now());
select is((select community_id from second_run), (select community_id from first_run where name = 'Swimming, Lake Bled'),
          'a community that continues keeps its id');
select is((select name from public.communities where community_id = (select community_id from second_run)), 'Swimming, Mira',
          'and takes its new name');
select is((select count(*)::integer from public.communities where user_id = '68000000-0000-4000-8000-000000000001'), 1,
          'a community no group continues is removed');
select is((select count(*)::integer from public.concepts where user_id = '68000000-0000-4000-8000-000000000001'
           and community_id is null), 2, 'its concepts belong to no community any more');

-- Reading and calling, as people.
set local role authenticated;
select set_config('request.jwt.claims', '{"sub": "68000000-0000-4000-8000-000000000001", "role": "authenticated"}', true);
select is((select count(*)::integer from public.communities), 1, 'the owner reads their community');
select throws_ok($$select private.replace_communities('68000000-0000-4000-8000-000000000001', '[]', now())$$, '42501', null,
                 'a person cannot replace communities');
select set_config('request.jwt.claims', '{"sub": "68000000-0000-4000-8000-000000000002", "role": "authenticated"}', true);
select is((select count(*)::integer from public.communities), 0, 'another person reads none of them');
reset role;
set local role anon;
select throws_ok($$select count(*) from public.communities$$, '42501', null, 'an anonymous caller reads nothing');

select * from finish();
rollback;
