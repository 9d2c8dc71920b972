-- Ingestion matches an extracted name to the person's concepts by its normalised form (case
-- folded, whitespace collapsed: "  Night   Shifts" is "night shifts"), in
-- shared/dotline/services/concept_resolution.py. This index serves that lookup, so it stays an
-- index probe however many concepts a person has. The expression must stay identical to the
-- query's.

create index if not exists concepts_user_normalised_name_idx
  on public.concepts (user_id, (lower(regexp_replace(btrim(name), '\s+', ' ', 'g'))));
