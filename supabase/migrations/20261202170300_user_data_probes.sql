-- A person's rows across every table they own (private.user_owned_tables(), from the catalogue):
-- counted, for erasure's verification, and read out as JSON, for GET /v1/me/export. Security
-- definer because they read tables service_role has no grant on (auth.users, partitions); both
-- only ever read, and only the named person's rows. Service role only.

-- Per table, how many rows the person still has (tables with none left out); auth.users too.
create or replace function private.count_user_rows(p_user_id uuid) returns jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
declare
  v_table record;
  v_count bigint;
  v_counts jsonb := '{}'::jsonb;
begin
  for v_table in select * from private.user_owned_tables() loop
    execute format('select count(*) from %I.%I where user_id = $1', v_table.schema_name, v_table.table_name)
      into v_count using p_user_id;
    if v_count > 0 then
      v_counts := v_counts || jsonb_build_object(v_table.schema_name || '.' || v_table.table_name, v_count);
    end if;
  end loop;
  if exists (select 1 from auth.users u where u.id = p_user_id) then
    v_counts := v_counts || jsonb_build_object('auth.users', 1);
  end if;
  return v_counts;
end;
$$;
comment on function private.count_user_rows(uuid) is
  'Erasure probe: per owned table (and auth.users), how many rows of the person remain; {} when none.';
revoke all on function private.count_user_rows(uuid) from public, anon, authenticated;
grant execute on function private.count_user_rows(uuid) to service_role;

-- The person's rows of one owned table as JSON objects, without stored vectors (bytea, and no
-- use to a person), in a stable order. Refuses a table that is not one a person owns.
create or replace function private.export_user_rows(p_user_id uuid, p_schema text, p_table text)
returns setof jsonb
language plpgsql
stable
security definer
set search_path = ''
as $$
begin
  if not exists (select 1 from private.user_owned_tables() o
                 where o.schema_name = p_schema and o.table_name = p_table) then
    raise exception 'not a table a person owns: %.%', p_schema, p_table using errcode = '22023';
  end if;
  return query execute format(
    'select to_jsonb(t) - ''vector'' from %I.%I t where t.user_id = $1 order by 1', p_schema, p_table
  ) using p_user_id;
end;
$$;
comment on function private.export_user_rows(uuid, text, text) is
  'Export: the person''s rows of one owned table as JSON (stored vectors left out).';
revoke all on function private.export_user_rows(uuid, text, text) from public, anon, authenticated;
grant execute on function private.export_user_rows(uuid, text, text) to service_role;
