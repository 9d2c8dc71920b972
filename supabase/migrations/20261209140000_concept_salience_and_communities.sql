-- Concept salience and concept communities, computed from the person's graph.
--
-- Salience is refreshed by ingestion for the concepts a conversation touched (and by the insight
-- cycle for all of them): its cost follows those concepts' own mentions, never the whole graph.
-- Communities are the insight cycle's Louvain groups, persisted with ids that carry over from one
-- cycle to the next where a community continues.

-- Which memories name a concept (ingestion lists them in attributes.concept_ids): the mentions
-- of one concept are an index probe, not a scan of the person's memories.
create index if not exists memories_concept_ids_idx
  on public.memories using gin ((attributes -> 'concept_ids'));
comment on index public.memories_concept_ids_idx is
  'Serves the memories naming a concept (salience mentions, co-occurrences).';

-- Sets the salience of the given concepts from their graph degree (given: the graph store is not
-- Postgres's to read here), their mentions (memories naming them) and how recent the last mention
-- is against the person's newest memory (so a re-run on the same data gives the same value).
-- salience = 0.4 (1 - e^(-mentions/3)) + 0.3 (1 - e^(-degree/6)) + 0.3 * 2^(-days behind / 30),
-- rounded to 4 places; only changed values are written. Returns the changed rows (to_jsonb, the
-- shape the outbox carries) so the caller can write their nodes.
create or replace function private.refresh_concept_salience(p_user_id uuid, p_degrees jsonb)
returns setof jsonb
language sql
security definer
set search_path = ''
as $$
  with newest as (
    select max(m.created_at) as at from public.memories m where m.user_id = p_user_id
  ),
  given as (
    select d.key::uuid as concept_id, greatest(d.value::text::double precision, 0) as degree
    from jsonb_each(p_degrees) as d
  ),
  measured as (
    select g.concept_id, g.degree, mention.count as mentions,
           extract(epoch from (select at from newest) - mention.last) / 86400.0 as days_behind
    from given g
    cross join lateral (
      select count(*) as count, max(m.created_at) as last from public.memories m
      where m.user_id = p_user_id and m.attributes -> 'concept_ids' ? g.concept_id::text
    ) as mention
  ),
  scored as (
    select concept_id, round((
      0.4 * (1 - exp(-mentions / 3.0))
      + 0.3 * (1 - exp(-degree / 6.0))
      + 0.3 * coalesce(power(2.0, -greatest(days_behind, 0) / 30.0), 0)
    )::numeric, 4)::double precision as salience
    from measured
  ),
  changed as (
    update public.concepts c set salience = least(greatest(s.salience, 0), 1)
    from scored s
    where c.user_id = p_user_id and c.concept_id = s.concept_id and c.status <> 'merged'
      and c.salience is distinct from least(greatest(s.salience, 0), 1)
    returning to_jsonb(c.*) as changed_row
  )
  select changed_row from changed;
$$;
comment on function private.refresh_concept_salience(uuid, jsonb) is
  'Sets the salience of the given concepts ({concept_id: graph degree}) from degree, mentions and recency; returns the changed rows.';
revoke all on function private.refresh_concept_salience(uuid, jsonb) from public, anon, authenticated;
grant execute on function private.refresh_concept_salience(uuid, jsonb) to service_role;

-- Replaces the person's communities with the groups found now ([{"name", "concept_ids"}], largest
-- first). A group keeps the id of the existing community it shares the most concepts with (each
-- existing community continues at most once, the largest overlaps first); the others get new
-- ids; communities that no group continues are deleted (their concepts' community_id goes null).
-- Every concept's community_id is then set to its group's, or null when it is in none. Returns
-- each kept community with its concepts and whether it is new.
create or replace function private.replace_communities(
  p_user_id uuid, p_groups jsonb, p_at timestamptz
)
returns table (community_id uuid, name text, concept_ids uuid[], is_new boolean)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_match record;
  v_ids uuid[] := '{}';
  v_taken uuid[] := '{}';
begin
  create temporary table if not exists pg_temp.found_groups (
    n integer primary key, name text, concept_ids uuid[], community_id uuid, is_new boolean
  ) on commit drop;
  truncate pg_temp.found_groups;
  insert into pg_temp.found_groups (n, name, concept_ids)
  select g.n, left(btrim(g.value ->> 'name'), 255),
         array(select distinct x::uuid from jsonb_array_elements_text(g.value -> 'concept_ids') x)
  from jsonb_array_elements(p_groups) with ordinality as g (value, n)
  where btrim(coalesce(g.value ->> 'name', '')) <> '';
  for v_match in
    select f.n, c.community_id as old_id, count(*) as shared
    from pg_temp.found_groups f
    join public.concepts c on c.user_id = p_user_id and c.concept_id = any (f.concept_ids)
    where c.community_id is not null
    group by f.n, c.community_id
    order by count(*) desc, f.n, c.community_id
  loop
    if v_match.old_id = any (v_taken)
       or exists (select 1 from pg_temp.found_groups f where f.n = v_match.n and f.community_id is not null) then
      continue;
    end if;
    update pg_temp.found_groups f set community_id = v_match.old_id, is_new = false where f.n = v_match.n;
    v_taken := v_taken || v_match.old_id;
  end loop;
  update pg_temp.found_groups f set community_id = gen_random_uuid(), is_new = true
  where f.community_id is null;
  delete from public.communities c
  where c.user_id = p_user_id and c.community_id not in (select f.community_id from pg_temp.found_groups f);
  insert into public.communities as c (community_id, user_id, name, description, last_analyzed_ts)
  select f.community_id, p_user_id, f.name, cardinality(f.concept_ids) || ' concepts', p_at
  from pg_temp.found_groups f
  on conflict on constraint communities_pkey do update
    set name = excluded.name, description = excluded.description,
        last_analyzed_ts = excluded.last_analyzed_ts
    where c.user_id = excluded.user_id;
  update public.concepts c set community_id = f.community_id
  from pg_temp.found_groups f
  where c.user_id = p_user_id and c.concept_id = any (f.concept_ids)
    and c.community_id is distinct from f.community_id;
  select coalesce(array_agg(x), '{}') into v_ids from pg_temp.found_groups f, unnest(f.concept_ids) x;
  update public.concepts c set community_id = null
  where c.user_id = p_user_id and c.community_id is not null and c.concept_id <> all (v_ids);
  return query select f.community_id, f.name, f.concept_ids, f.is_new from pg_temp.found_groups f order by f.n;
end;
$$;
comment on function private.replace_communities(uuid, jsonb, timestamptz) is
  'Persists the person''s concept communities found now, keeping the id of each one that continues; returns them.';
revoke all on function private.replace_communities(uuid, jsonb, timestamptz) from public, anon, authenticated;
grant execute on function private.replace_communities(uuid, jsonb, timestamptz) to service_role;
