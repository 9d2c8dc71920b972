-- The RLS matrix over the catalogue: every table, view and function in the exposed schema
-- (public: the only schema the Data API serves here), whoever's migration made it. No hand list:
-- a new table is covered the moment it exists. Row-level cross-user checks (select, insert,
-- update, delete by another user and by anon on a real row) are in tests/test_rls_matrix.py.
-- Decision: no exceptions for catalogue tables (apps, challenge templates, ...): anon, the
-- signed-out role, gets nothing anywhere; signed-in users read catalogues through policies.
begin;
create extension if not exists pgtap with schema extensions;
select plan(14);

create temporary view exposed_tables as
select c.oid, format('%I.%I', n.nspname, c.relname) as name, c.relrowsecurity
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition;

create temporary view exposed_relations as
select c.oid, format('%I.%I', n.nspname, c.relname) as name, c.relkind
from pg_class c
join pg_namespace n on n.oid = c.relnamespace
where n.nspname = 'public' and c.relkind in ('r', 'p', 'v', 'm', 'f');

select cmp_ok((select count(*)::integer from exposed_tables), '>=', 15,
  'the catalogue yields the project''s tables (an empty or tiny list means the matrix is looking in the wrong place)');

select is((select coalesce(array_agg(name order by name), '{}') from exposed_tables where not relrowsecurity),
  '{}'::text[], 'RLS is enabled on every table in public');

select is(
  (select coalesce(array_agg(name order by name), '{}') from exposed_relations
   where has_table_privilege('anon', oid, 'select, insert, update, delete, truncate, references, trigger')),
  '{}'::text[], 'anon has no table privilege on any table or view in public');

select is(
  (select coalesce(array_agg(distinct r.name), '{}')
   from exposed_relations r
   join pg_attribute a on a.attrelid = r.oid and a.attnum > 0 and not a.attisdropped
   where has_column_privilege('anon', r.oid, a.attnum, 'select, insert, update, references')),
  '{}'::text[], 'anon has no column privilege in public either');

select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'public' and has_function_privilege('anon', p.oid, 'execute')),
  '{}'::text[], 'anon can execute no function in public');

select is(
  (select coalesce(array_agg(p.oid::regprocedure::text order by 1), '{}')
   from pg_proc p join pg_namespace n on n.oid = p.pronamespace
   where n.nspname = 'public' and p.prosecdef),
  '{}'::text[], 'no security definer function in public (definer helpers live in private)');

select is(
  (select coalesce(array_agg(format('%I.%I', schemaname, viewname) order by viewname), '{}')
   from pg_views v join pg_class c on c.oid = format('%I.%I', v.schemaname, v.viewname)::regclass
   where v.schemaname = 'public'
     and not coalesce('security_invoker=true' = any (c.reloptions)
                      or 'security_invoker=on' = any (c.reloptions), false)),
  '{}'::text[], 'every view in public is security_invoker');

select is((select coalesce(array_agg(name order by name), '{}') from exposed_relations where relkind = 'm'),
  '{}'::text[], 'no materialized view is exposed in public');

select is(
  (select coalesce(array_agg(format('%s: %s', tablename, policyname) order by tablename, policyname), '{}')
   from pg_policies where schemaname = 'public' and roles <> '{authenticated}'::name[]),
  '{}'::text[], 'every policy in public is to authenticated only');

select is(
  (select coalesce(array_agg(format('%s: %s', tablename, policyname) order by tablename, policyname), '{}')
   from pg_policies
   where schemaname = 'public'
     and regexp_replace(coalesce(qual, '') || ' ' || coalesce(with_check, ''),
                        '\( SELECT auth\.uid\(\) AS uid\)', '', 'g') ~ 'auth\.uid\(\)'),
  '{}'::text[], 'every policy calls auth.uid() as (select auth.uid()), once per statement');

select is(
  (select coalesce(array_agg(t.name order by t.name), '{}')
   from exposed_tables t
   join pg_attribute a on a.attrelid = t.oid and a.attname = 'user_id' and not a.attisdropped
   where not exists (
     select 1 from pg_index i
     where i.indrelid = t.oid and i.indkey[0] = a.attnum
   )),
  '{}'::text[], 'every table with user_id has an index leading with user_id');

select is(
  (select coalesce(array_agg(t.name order by t.name), '{}')
   from exposed_tables t
   join pg_attribute a on a.attrelid = t.oid and a.attname = 'user_id' and not a.attisdropped
   where not exists (select 1 from pg_policy p where p.polrelid = t.oid)),
  '{}'::text[], 'every table with user_id has policies (RLS without policies would be a silent lock-out)');

select is(
  (select coalesce(array_agg(format('%I.%I', n.nspname, c.relname) order by 1), '{}')
   from pg_class c join pg_namespace n on n.oid = c.relnamespace
   where c.relispartition and c.relkind in ('r', 'p')
     and (n.nspname = 'public'
          or not c.relrowsecurity
          or has_table_privilege('authenticated', c.oid, 'select, insert, update, delete')
          or has_table_privilege('anon', c.oid, 'select, insert, update, delete'))),
  '{}'::text[], 'partitions live outside public, with RLS on and no grants for anon or authenticated');

select is(
  (select coalesce(array_agg(name order by name), '{}') from exposed_relations r
   where obj_description(r.oid, 'pg_class') is null),
  '{}'::text[], 'every table and view in public has a comment saying why it exists');

select * from finish();
rollback;
