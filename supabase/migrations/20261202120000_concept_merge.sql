-- Merging one concept into another (V9.7/V11 `status = 'merged'`, `merged_into_concept_id`): in
-- one transaction every reference to the source moves to the survivor and the source is marked
-- merged. The graph store is not Postgres's to change here: the service re-points the source's
-- edges through the graph port after this commits.
--
-- What refers to a concept, and what the merge does with it:
--   concepts.merged_into_concept_id      earlier merges into the source now point at the survivor
--   concepts.attributes.related_concept_ids  the source's id becomes the survivor's (the mirror
--                                        turns these into RELATED_TO edges); the source's own
--                                        list moves to the survivor
--   derived_artifacts.source_concept_id  re-pointed
--   cards (source_entity_type concept)   re-pointed when the survivor has no card; else archived
--                                        (one card per entity), its favourite carried over
--   annotations (target_type concept)    re-pointed
--   reflections.related_entities,        references to the source re-pointed (either shape:
--   derived_artifacts.source_entities    {"entity_type", "entity_id"} or {"type", "id"})
--   growth_events (append-only)          never rewritten: a compensating pair per dimension moves
--                                        the source's growth to the survivor (the profile's sums
--                                        do not change)
-- Left alone on purpose: behaviour_events (what happened, history), graph_connection_stats
-- (recomputed from the graph), the source's own vectors (the mirror keeps them as the node's).

-- Merges p_source_id into p_target_id for the caller (auth.uid(); the server without claims may
-- merge any two concepts of one user). Answers an outcome instead of raising, so the service maps
-- each to its own problem: merged, already_merged (the same merge was done: nothing changes),
-- same_concept, source_not_found, target_not_found (another user's ids look missing),
-- source_merged_elsewhere, target_merged. `moved` counts the re-pointed rows per table.
create or replace function private.merge_concept(p_source_id uuid, p_target_id uuid)
returns table (outcome text, moved jsonb)
language plpgsql
security definer
set search_path = ''
as $$
declare
  v_caller uuid := auth.uid();
  v_server boolean := auth.uid() is null and current_setting('role') <> 'authenticated';
  v_source public.concepts;
  v_target public.concepts;
  v_related jsonb;
  v_counts jsonb := '{}'::jsonb;
  v_n integer;
begin
  if p_source_id = p_target_id then
    return query select 'same_concept'::text, '{}'::jsonb;
    return;
  end if;
  -- Both rows locked in id order, so two merges of the same pair cannot deadlock.
  perform 1 from public.concepts c
  where c.concept_id in (p_source_id, p_target_id) and (v_server or c.user_id = v_caller)
  order by c.concept_id
  for update;
  select * into v_source from public.concepts c
  where c.concept_id = p_source_id and (v_server or c.user_id = v_caller);
  if v_source.concept_id is null then
    return query select 'source_not_found'::text, '{}'::jsonb;
    return;
  end if;
  select * into v_target from public.concepts c
  where c.concept_id = p_target_id and c.user_id = v_source.user_id;
  if v_target.concept_id is null then
    return query select 'target_not_found'::text, '{}'::jsonb;
    return;
  end if;
  if v_source.status = 'merged' then
    return query select case when v_source.merged_into_concept_id = p_target_id
      then 'already_merged' else 'source_merged_elsewhere' end, '{}'::jsonb;
    return;
  end if;
  if v_target.status = 'merged' then
    return query select 'target_merged'::text, '{}'::jsonb;
    return;
  end if;

  update public.concepts c set merged_into_concept_id = p_target_id
  where c.user_id = v_source.user_id and c.merged_into_concept_id = p_source_id;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('earlier_merges', v_n);

  update public.concepts c
  set attributes = jsonb_set(c.attributes, '{related_concept_ids}', private.repointed_concept_ids(
    c.attributes -> 'related_concept_ids', p_source_id, p_target_id, c.concept_id))
  where c.user_id = v_source.user_id
    and c.concept_id not in (p_source_id, p_target_id)
    and jsonb_typeof(c.attributes -> 'related_concept_ids') = 'array'
    and c.attributes -> 'related_concept_ids' ? p_source_id::text;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('related_concepts', v_n);

  v_related := private.repointed_concept_ids(
    coalesce(v_target.attributes -> 'related_concept_ids', '[]'::jsonb)
      || coalesce(v_source.attributes -> 'related_concept_ids', '[]'::jsonb),
    p_source_id, p_target_id, p_target_id);
  update public.concepts c
  set attributes = (v_source.attributes - 'related_concept_ids') || c.attributes
        || case when v_related = '[]'::jsonb then '{}'::jsonb
                else jsonb_build_object('related_concept_ids', v_related) end,
      description = coalesce(c.description, v_source.description),
      salience = greatest(c.salience, v_source.salience)
  where c.concept_id = p_target_id;

  update public.concepts c
  set status = 'merged', merged_into_concept_id = p_target_id,
      attributes = c.attributes - 'related_concept_ids'
  where c.concept_id = p_source_id;

  update public.derived_artifacts a set source_concept_id = p_target_id
  where a.user_id = v_source.user_id and a.source_concept_id = p_source_id;
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('derived_artifacts', v_n);

  -- One card per entity (cards_one_per_source_entity_idx): the source's card moves when the
  -- survivor has none; otherwise it is archived where it is and its favourite carries over.
  update public.cards k set is_favorited = true
  where k.user_id = v_source.user_id and k.source_entity_type = 'concept'
    and k.source_entity_id = p_target_id and not k.is_favorited
    and exists (select from public.cards f
                where f.user_id = v_source.user_id and f.source_entity_type = 'concept'
                  and f.source_entity_id = p_source_id and f.is_favorited);
  update public.cards k
  set status = 'active_archive', is_favorited = false
  where k.user_id = v_source.user_id and k.source_entity_type = 'concept'
    and k.source_entity_id = p_source_id
    and exists (select from public.cards t
                where t.user_id = v_source.user_id and t.source_entity_type = 'concept'
                  and t.source_entity_id = p_target_id);
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('cards_archived', v_n);
  update public.cards k set source_entity_id = p_target_id
  where k.user_id = v_source.user_id and k.source_entity_type = 'concept'
    and k.source_entity_id = p_source_id
    and not exists (select from public.cards t
                    where t.user_id = v_source.user_id and t.source_entity_type = 'concept'
                      and t.source_entity_id = p_target_id);
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('cards', v_n);

  update public.annotations n set target_id = p_target_id
  where n.user_id = v_source.user_id and n.target_id = p_source_id
    and n.target_type in ('concept', 'Concept');
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('annotations', v_n);

  update public.reflections r
  set related_entities = private.repointed_concept_refs(r.related_entities, p_source_id, p_target_id)
  where r.user_id = v_source.user_id
    and (r.related_entities @> jsonb_build_array(jsonb_build_object('entity_type', 'concept', 'entity_id', p_source_id::text))
      or r.related_entities @> jsonb_build_array(jsonb_build_object('type', 'concept', 'id', p_source_id::text)));
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('reflections', v_n);

  update public.derived_artifacts a
  set source_entities = private.repointed_concept_refs(a.source_entities, p_source_id, p_target_id)
  where a.user_id = v_source.user_id
    and (a.source_entities @> jsonb_build_array(jsonb_build_object('entity_type', 'concept', 'entity_id', p_source_id::text))
      or a.source_entities @> jsonb_build_array(jsonb_build_object('type', 'concept', 'id', p_source_id::text)));
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('artifact_sources', v_n);

  insert into public.growth_events (user_id, entity_id, entity_type, dim_key, delta, source, details)
  select v_source.user_id, side.entity_id, 'concept', g.dim_key, side.sign * g.total, 'concept_merge',
         jsonb_build_object('action', 'concept_merge', 'merged_concept_id', p_source_id,
                            'into_concept_id', p_target_id)
  from (
    select e.dim_key, sum(e.delta) as total
    from public.growth_events e
    where e.user_id = v_source.user_id and e.entity_type = 'concept' and e.entity_id = p_source_id
    group by e.dim_key
    having sum(e.delta) <> 0
  ) as g
  cross join (values (p_source_id, -1), (p_target_id, 1)) as side (entity_id, sign);
  get diagnostics v_n = row_count;
  v_counts := v_counts || jsonb_build_object('growth_dimensions', v_n / 2);

  return query select 'merged'::text, v_counts;
end;
$$;
comment on function private.merge_concept(uuid, uuid) is
  'Merges one of the caller''s concepts into another in one transaction: references re-pointed, source marked merged.';

-- The related-concept id list with the source's id replaced by the target's, de-duplicated, and
-- without `p_self` (a concept is not related to itself).
create or replace function private.repointed_concept_ids(
  p_ids jsonb, p_source_id uuid, p_target_id uuid, p_self uuid
)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_agg(id order by first_seen), '[]'::jsonb)
  from (
    select id, min(position) as first_seen
    from (
      select case when value = p_source_id::text then p_target_id::text else value end as id,
             position
      from jsonb_array_elements_text(
        case when jsonb_typeof(p_ids) = 'array' then p_ids else '[]'::jsonb end
      ) with ordinality as listed (value, position)
    ) as renamed
    where id <> p_self::text and id <> p_source_id::text
    group by id
  ) as distinct_ids
$$;
comment on function private.repointed_concept_ids(jsonb, uuid, uuid, uuid) is
  'A related_concept_ids list with the merged concept''s id replaced by the survivor''s (no duplicates, no self).';

-- An array of entity references with the merged concept's replaced by the survivor's. Both
-- shapes in use are understood: {"entity_type": "concept", "entity_id": ...} (reflections) and
-- {"type": "concept", "id": ...} (derived_artifacts.source_entities); other objects are kept.
create or replace function private.repointed_concept_refs(p_refs jsonb, p_source_id uuid, p_target_id uuid)
returns jsonb
language sql
immutable
set search_path = ''
as $$
  select coalesce(jsonb_agg(case
      when ref ->> 'entity_type' = 'concept' and ref ->> 'entity_id' = p_source_id::text
        then ref || jsonb_build_object('entity_id', p_target_id::text)
      when ref ->> 'type' = 'concept' and ref ->> 'id' = p_source_id::text
        then ref || jsonb_build_object('id', p_target_id::text)
      else ref end order by position), '[]'::jsonb)
  from jsonb_array_elements(case when jsonb_typeof(p_refs) = 'array' then p_refs else '[]'::jsonb end)
    with ordinality as listed (ref, position)
$$;
comment on function private.repointed_concept_refs(jsonb, uuid, uuid) is
  'Entity references with a merged concept''s replaced by its survivor''s (both reference shapes).';

revoke all on function private.merge_concept(uuid, uuid) from public, anon;
grant execute on function private.merge_concept(uuid, uuid) to authenticated, service_role;
revoke all on function private.repointed_concept_ids(jsonb, uuid, uuid, uuid) from public, anon, authenticated;
grant execute on function private.repointed_concept_ids(jsonb, uuid, uuid, uuid) to service_role;
revoke all on function private.repointed_concept_refs(jsonb, uuid, uuid) from public, anon, authenticated;
grant execute on function private.repointed_concept_refs(jsonb, uuid, uuid) to service_role;
