-- Concepts, communities, media items, annotations and reflections: constraints, server-only
-- columns and owner-only access.
begin;
create extension if not exists pgtap with schema extensions;
select plan(36);

create function pg_temp.affected(statement text) returns integer
language plpgsql as $$
declare n integer;
begin
  execute statement;
  get diagnostics n = row_count;
  return n;
end;
$$;

insert into auth.users (id, email) values
  ('14000000-0000-4000-8000-000000000001', 'alice@example.com'),
  ('14000000-0000-4000-8000-000000000002', 'bob@example.com');
insert into public.communities (community_id, user_id, name) values
  ('14000000-0000-4000-8000-0000000000a1', '14000000-0000-4000-8000-000000000001', 'Family'),
  ('14000000-0000-4000-8000-0000000000a2', '14000000-0000-4000-8000-000000000002', 'Work'),
  ('14000000-0000-4000-8000-0000000000a3', '14000000-0000-4000-8000-000000000001', 'Friends');
insert into public.concepts (concept_id, user_id, name, type, community_id) values
  ('14000000-0000-4000-8000-0000000000c1', '14000000-0000-4000-8000-000000000001', 'Ann', 'person', '14000000-0000-4000-8000-0000000000a1'),
  ('14000000-0000-4000-8000-0000000000c2', '14000000-0000-4000-8000-000000000002', 'Career', 'theme', null);
insert into public.memories (memory_id, user_id, title, content) values
  ('14000000-0000-4000-8000-0000000000f1', '14000000-0000-4000-8000-000000000001', 'Picnic', 'With Ann.'),
  ('14000000-0000-4000-8000-0000000000f2', '14000000-0000-4000-8000-000000000002', 'Offer', 'Got the job.');

-- Concepts and communities (as the server).
select throws_ok($$insert into public.concepts (user_id, name, type) values ('14000000-0000-4000-8000-000000000001', 'Ann', 'person')$$,
                 '23505', null, 'a person has one concept per (name, type)');
select lives_ok($$insert into public.concepts (user_id, name, type) values ('14000000-0000-4000-8000-000000000001', 'Ann', 'place')$$,
                'the same name may be another type');
select throws_ok($$insert into public.concepts (user_id, name, type, status) values ('14000000-0000-4000-8000-000000000001', 'Anne', 'person', 'merged')$$,
                 '23514', null, 'a merged concept names the concept it merged into');
select throws_ok($$insert into public.concepts (user_id, name, type, status) values ('14000000-0000-4000-8000-000000000001', 'X', 'person', 'deleted')$$,
                 '23514', null, 'an unknown concept status is rejected');
select throws_ok($$insert into public.concepts (user_id, name, type, salience) values ('14000000-0000-4000-8000-000000000001', 'X', 'person', 1.2)$$,
                 '23514', null, 'salience above 1 is rejected');
select throws_ok($$insert into public.concepts (user_id, name, type, status, merged_into_concept_id)
                   values ('14000000-0000-4000-8000-000000000001', 'Bobby', 'person', 'merged', '14000000-0000-4000-8000-0000000000c2')$$,
                 '23503', null, 'a concept cannot merge into someone else''s concept');
select throws_ok($$insert into public.concepts (user_id, name, type, community_id)
                   values ('14000000-0000-4000-8000-000000000001', 'Y', 'person', '14000000-0000-4000-8000-0000000000a2')$$,
                 '23503', null, 'a concept cannot join someone else''s community');
select lives_ok($$insert into public.concepts (user_id, name, type, status, merged_into_concept_id)
                  values ('14000000-0000-4000-8000-000000000001', 'Annie', 'person', 'merged', '14000000-0000-4000-8000-0000000000c1')$$,
                'a concept merges into another of its owner''s');
select lives_ok($$delete from public.communities where community_id = '14000000-0000-4000-8000-0000000000a1'$$,
                'a community can be dissolved');
select is((select community_id from public.concepts where concept_id = '14000000-0000-4000-8000-0000000000c1'), null,
          'its concepts stay, without a community');

-- Media, annotations, reflections (as the server).
select throws_ok($$insert into public.media_items (user_id, type, storage_url) values ('14000000-0000-4000-8000-000000000001', 'hologram', 's3://b/k')$$,
                 '23514', null, 'an unknown media type is rejected');
select throws_ok($$insert into public.media_items (user_id, type, storage_url, size_bytes) values ('14000000-0000-4000-8000-000000000001', 'image', 's3://b/k', -1)$$,
                 '23514', null, 'a negative size is rejected');
select throws_ok($$insert into public.media_items (user_id, type, storage_url, mime_type) values ('14000000-0000-4000-8000-000000000001', 'image', 's3://b/k', 'jpeg')$$,
                 '23514', null, 'a mime type is type/subtype');
select throws_ok($$insert into public.media_items (user_id, type, storage_url, processing_status) values ('14000000-0000-4000-8000-000000000001', 'image', 's3://b/k', 'lost')$$,
                 '23514', null, 'an unknown processing status is rejected');
select throws_ok($$insert into public.media_items (user_id, type, storage_url, memory_id)
                   values ('14000000-0000-4000-8000-000000000001', 'image', 's3://b/k', '14000000-0000-4000-8000-0000000000f2')$$,
                 '23503', null, 'media cannot be attached to someone else''s memory');
select throws_ok($$insert into public.annotations (user_id, target_id, target_type, annotation_type)
                   values ('14000000-0000-4000-8000-000000000001', '14000000-0000-4000-8000-0000000000c1', 'Concept', 'note')$$,
                 '23514', null, 'an annotation has text or media');
select throws_ok($$insert into public.reflections (user_id, content, reflection_type, sentiment)
                   values ('14000000-0000-4000-8000-000000000001', 'Today was good.', 'daily', 1.5)$$,
                 '23514', null, 'reflection sentiment outside -1..1 is rejected');

-- As alice.
set local role authenticated;
select set_config('request.jwt.claims', json_build_object('sub', '14000000-0000-4000-8000-000000000001', 'role', 'authenticated')::text, true);

select lives_ok($$insert into public.concepts (name, type, description) values ('Baking', 'hobby', 'Sourdough on Sundays')$$,
                'the owner creates a concept');
select throws_ok($$update public.concepts set salience = 1$$, '42501', null, 'a person cannot set salience');
select throws_ok($$update public.concepts set merged_into_concept_id = null$$, '42501', null, 'a person cannot merge concepts');
select throws_ok($$insert into public.communities (name) values ('Mine')$$, '42501', null, 'communities are the server''s');
select is((select count(*)::integer from public.concepts), 4, 'the owner sees only their concepts');
select lives_ok($$insert into public.media_items (media_id, memory_id, type, storage_url, mime_type, size_bytes, hash)
                  values ('14000000-0000-4000-8000-0000000000e1', '14000000-0000-4000-8000-0000000000f1', 'image', 's3://media/a.jpg',
                          'image/jpeg', 1024, 'abc123')$$,
                'the owner uploads media');
select throws_ok($$insert into public.media_items (type, storage_url, hash) values ('image', 's3://media/b.jpg', 'abc123')$$,
                 '23505', null, 'the same file (hash) is stored once per person');
select throws_ok($$update public.media_items set processing_status = 'completed'$$, '42501', null,
                 'a person cannot mark media processed');
select lives_ok($$insert into public.annotations (target_id, target_type, annotation_type, text_content)
                  values ('14000000-0000-4000-8000-0000000000f1', 'MemoryUnit', 'note', 'Best day')$$,
                'the owner annotates a memory');
select lives_ok($$insert into public.reflections (content, reflection_type, tags) values ('Grateful for Ann.', 'gratitude', '{family}')$$,
                'the owner writes a reflection');
select throws_ok($$update public.reflections set insights = '[{"kind": "fake"}]'$$, '42501', null,
                 'a person cannot write the server''s insights');

-- As bob: alice's rows are invisible and untouchable.
select set_config('request.jwt.claims', json_build_object('sub', '14000000-0000-4000-8000-000000000002', 'role', 'authenticated')::text, true);
select is((select count(*)::integer from public.concepts where user_id = '14000000-0000-4000-8000-000000000001'), 0,
          'another user reads none of alice''s concepts');
select is((select count(*)::integer from public.communities where user_id = '14000000-0000-4000-8000-000000000001'), 0,
          'another user reads none of alice''s communities');
select is((select count(*)::integer from public.media_items), 0, 'another user reads none of alice''s media');
select is((select count(*)::integer from public.annotations) + (select count(*)::integer from public.reflections), 0,
          'another user reads none of alice''s annotations or reflections');
select is(pg_temp.affected($$update public.annotations set text_content = 'hacked'$$)
          + pg_temp.affected($$delete from public.reflections$$)
          + pg_temp.affected($$delete from public.media_items$$), 0,
          'another user changes none of alice''s notes or media');

reset role;
set local role anon;
select throws_ok($$select * from public.concepts$$, '42501', null, 'anon cannot read concepts');
select throws_ok($$select * from public.media_items$$, '42501', null, 'anon cannot read media');
select throws_ok($$select * from public.reflections$$, '42501', null, 'anon cannot read reflections');
reset role;

select * from finish();
rollback;
