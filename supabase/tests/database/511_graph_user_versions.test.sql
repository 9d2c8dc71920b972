-- Per-user graph versions (graph.user_versions): every write to a user's nodes or edges gives
-- their graph a fresh version, other users' writes do not, and erasing a user still works.
begin;
create extension if not exists pgtap with schema extensions;
select plan(8);

insert into auth.users (id, email) values
  ('51100000-0000-4000-8000-000000000001', 'gia@example.com'),
  ('51100000-0000-4000-8000-000000000002', 'hal@example.com');

create function pg_temp.version_of(p_user uuid) returns bigint
language sql as $$ select version from graph.user_versions where user_id = p_user $$;
create temp table seen (step text, version bigint);

insert into graph.nodes (node_id, user_id, label) values
  ('51100000-0000-4000-8000-0000000000a1', '51100000-0000-4000-8000-000000000001', 'Concept'),
  ('51100000-0000-4000-8000-0000000000a2', '51100000-0000-4000-8000-000000000001', 'Concept');
insert into seen select 'nodes', pg_temp.version_of('51100000-0000-4000-8000-000000000001');
insert into graph.edges (user_id, source_id, target_id, type) values
  ('51100000-0000-4000-8000-000000000001', '51100000-0000-4000-8000-0000000000a1', '51100000-0000-4000-8000-0000000000a2', 'RELATED_TO');
insert into seen select 'edge', pg_temp.version_of('51100000-0000-4000-8000-000000000001');
update graph.edges set weight = 2 where user_id = '51100000-0000-4000-8000-000000000001';
insert into seen select 'reweighted', pg_temp.version_of('51100000-0000-4000-8000-000000000001');
update graph.nodes set properties = '{"name": "Ann"}' where node_id = '51100000-0000-4000-8000-0000000000a1';
insert into seen select 'renamed', pg_temp.version_of('51100000-0000-4000-8000-000000000001');
insert into graph.nodes (node_id, user_id, label) values
  ('51100000-0000-4000-8000-0000000000b1', '51100000-0000-4000-8000-000000000002', 'Concept');
insert into seen select 'other user', pg_temp.version_of('51100000-0000-4000-8000-000000000001');
delete from graph.nodes where node_id = '51100000-0000-4000-8000-0000000000a2';
insert into seen select 'deleted', pg_temp.version_of('51100000-0000-4000-8000-000000000001');

select isnt((select version from seen where step = 'nodes'), null, 'inserting nodes gives the graph a version');
select is((select count(distinct version)::integer from seen where step in ('nodes', 'edge', 'reweighted', 'renamed')), 4,
          'each insert and update gives a new version');
select is((select version from seen where step = 'other user'), (select version from seen where step = 'renamed'),
          'another user''s write leaves the version alone');
select isnt((select version from seen where step = 'deleted'), (select version from seen where step = 'renamed'),
          'a delete (and its cascade to edges) gives a new version');
select is((select count(*)::integer from graph.edges where user_id = '51100000-0000-4000-8000-000000000001'), 0,
          'the edge went with its node');
select lives_ok($$update graph.nodes set label = 'Concept' where false$$, 'a statement changing nothing is fine');
select lives_ok($$delete from auth.users where id = '51100000-0000-4000-8000-000000000001'$$,
                'erasing a user with a graph cascades without tripping over the version row');
select is((select count(*)::integer from graph.user_versions where user_id = '51100000-0000-4000-8000-000000000001'), 0,
          'the erased user''s version row is gone');

select * from finish();
rollback;
