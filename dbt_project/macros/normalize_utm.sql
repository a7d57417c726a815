{#- How campaign names and UTM values are compared: lower-case and trimmed, apostrophes dropped
    ("Kari's" = "karis"), Norwegian letters written the way people write them in URLs, other accents
    stripped (é = e), and every run of other characters as one `_`.
    'Black Friday 2026 - Retargeting' = 'black_friday_2026_retargeting'; 'Høstsalg 2026' = 'hostsalg_2026'.

    spelling: 'short' writes ø, å as o, a (the usual key, used for UTM values and the campaign mapping);
    'long' writes them oe, aa (a campaign name also matches a tag written that way). æ is ae in both.
    See DECISIONLOG.md, "Norwegian campaign names match their UTM tags". -#}
{% macro normalize_utm(expression, spelling='short') -%}
    {%- set letters = [('æ', 'ae'), ('ø', 'o'), ('å', 'a')] if spelling == 'short' else [('æ', 'ae'), ('ø', 'oe'), ('å', 'aa')] -%}
    trim(regexp_replace(strip_accents(
        {%- for _ in letters %}replace({% endfor -%}
        regexp_replace(lower(trim({{ expression }})), '[''’`´]', '', 'g')
        {%- for letter, spelled in letters %}, '{{ letter }}', '{{ spelled }}'){% endfor -%}
    ), '[^a-z0-9]+', '_', 'g'), '_')
{%- endmacro %}
