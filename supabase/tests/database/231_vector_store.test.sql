-- The embedded vector store (vectors schema): its checks, that a user's deletion takes their
-- items and version with it, that every index leads with what its query names, and that no
-- client role reaches it while service_role does.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

insert into auth.users (id, email) values ('23100000-0000-0000-0000-0000000000a1', 'vec-a@example.com');

select lives_ok(
  $$insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                               created_at, model_version, vector)
    values ('23100000-0000-0000-0000-0000000000b1', '23100000-0000-0000-0000-0000000000a1',
            'memory_unit', gen_random_uuid(), 'a text', now(), 'm@1', '\x0000803f'::bytea)$$,
  'an item with one float32 is accepted');
select throws_ok(
  $$insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                               created_at, model_version, vector)
    values (gen_random_uuid(), '23100000-0000-0000-0000-0000000000a1', 'memory_unit',
            gen_random_uuid(), 't', now(), 'm@1', '\x000080'::bytea)$$,
  '23514', null, 'a vector that is not whole float32s is rejected');
select throws_ok(
  $$insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                               created_at, model_version, vector)
    values (gen_random_uuid(), '23100000-0000-0000-0000-0000000000a1', 'memory_unit',
            gen_random_uuid(), 't', now(), 'm@1', ''::bytea)$$,
  '23514', null, 'an empty vector is rejected');
select throws_ok(
  $$insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                               created_at, model_version, vector)
    values (gen_random_uuid(), '23100000-0000-0000-0000-0000000000a1', 'memory_unit',
            gen_random_uuid(), 't', now(), ' ', '\x0000803f'::bytea)$$,
  '23514', null, 'a blank model version is rejected');
select throws_ok(
  $$insert into vectors.items (item_id, user_id, source_entity_type, source_entity_id, text,
                               created_at, model_version, vector)
    values (gen_random_uuid(), gen_random_uuid(), 'memory_unit', gen_random_uuid(), 't', now(),
            'm@1', '\x0000803f'::bytea)$$,
  '23503', null, 'an item of an unknown user is rejected');

insert into vectors.user_versions (user_id, version)
values ('23100000-0000-0000-0000-0000000000a1', nextval('vectors.user_version_seq'));

select is(
  (select array_agg(pg_get_indexdef(indexrelid) order by 1) filter (where pg_get_indexdef(indexrelid) like '%(user_id%')
   from pg_index where indrelid = 'vectors.items'::regclass)::text,
  '{"CREATE INDEX items_user_id_source_idx ON vectors.items USING btree (user_id, source_entity_type, source_entity_id)"}',
  'loading and deleting by user run on an index leading with user_id');
select has_index('vectors', 'items', 'items_model_version_idx', 'the re-embed scan has its index');

select ok(not has_schema_privilege('anon', 'vectors', 'usage'), 'anon cannot use the vectors schema');
select ok(not has_schema_privilege('authenticated', 'vectors', 'usage'), 'authenticated cannot use the vectors schema');
select ok(not has_table_privilege('authenticated', 'vectors.items', 'select'), 'authenticated cannot read items');
select ok(has_table_privilege('service_role', 'vectors.items', 'select, insert, update, delete'), 'service_role maintains items');
select ok(has_sequence_privilege('service_role', 'vectors.user_version_seq', 'usage'), 'service_role draws versions');

delete from auth.users where id = '23100000-0000-0000-0000-0000000000a1';

select is((select count(*)::int from vectors.items where user_id = '23100000-0000-0000-0000-0000000000a1'), 0,
  'deleting the user deletes their items');
select is((select count(*)::int from vectors.user_versions where user_id = '23100000-0000-0000-0000-0000000000a1'), 0,
  'deleting the user deletes their version');

select * from finish();
rollback;
