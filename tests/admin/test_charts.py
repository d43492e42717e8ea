from datetime import date

from openoffers.admin.charts import activity_chart, daily, day_label, nice_ceiling

EMPTY = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 240" width="480" height="240" role="img" '
    'aria-labelledby="activity-title activity-desc" font-family="system-ui, sans-serif" font-size="12">'
    '<title id="activity-title">Issued and redeemed per day</title>'
    '<desc id="activity-desc">No activity yet: nothing issued or redeemed.</desc>'
    '<line x1="48" y1="208" x2="464" y2="208" stroke="#d4d4d8"/>'
    '<text x="256" y="124" text-anchor="middle" font-size="16" fill="#3f3f46">No activity yet</text>'
    '<text x="256" y="146" text-anchor="middle" fill="#71717a">'
    "Issued and redeemed offers will appear here, day by day.</text>"
    "</svg>"
)


def test_nice_ceiling() -> None:
    assert [nice_ceiling(v) for v in (0, 1, 2, 3, 5, 6, 10, 11, 21, 99, 101, 4999)] == [
        1,
        1,
        2,
        5,
        5,
        10,
        10,
        20,
        50,
        100,
        200,
        5000,
    ]


def test_daily_sorts_sums_repeated_days_and_fills_gaps() -> None:
    series = [(date(2026, 6, 3), 1, 0), (date(2026, 6, 1), 2, 1), (date(2026, 6, 1), 1, 1)]
    assert daily(series) == [(date(2026, 6, 1), 3, 2), (date(2026, 6, 2), 0, 0), (date(2026, 6, 3), 1, 0)]
    assert daily([]) == []


def test_day_label_is_locale_free() -> None:
    assert day_label(date(2026, 1, 5)) == "Jan 5"
    assert day_label(date(2026, 12, 31)) == "Dec 31"


def test_empty_series_says_no_activity_yet() -> None:
    assert activity_chart([]) == EMPTY


def test_all_zero_series_is_also_empty_not_a_flat_chart() -> None:
    zeros = [(date(2026, 6, 1), 0, 0), (date(2026, 6, 2), 0, 0)]
    assert activity_chart(zeros) == EMPTY
    quiet = activity_chart(zeros, empty_text="No activity in the last 30 days")
    assert ">No activity in the last 30 days</text>" in quiet
    assert "<rect" not in quiet


def test_bars_axis_and_labels_are_exact() -> None:
    svg = activity_chart([(date(2026, 6, 1), 3, 1), (date(2026, 6, 3), 0, 2)])
    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 480 240"')
    assert '<desc id="activity-desc">From Jun 1, 2026 to Jun 3, 2026: 3 issued, 3 redeemed.</desc>' in svg
    # y axis: 3 at most rounds up to 5, one grid line per unit.
    for tick, y in ((0, "208"), (1, "174.4"), (3, "107.2"), (5, "40")):
        assert f'<line x1="48" y1="{y}" x2="464" y2="{y}" stroke="#d4d4d8"/>' in svg
        assert f'text-anchor="end" fill="#71717a">{tick}</text>' in svg
    # Three days (the gap filled), 138.7 wide each: bars only where there is something to draw.
    assert '<rect x="61.9" y="107.2" width="55.5" height="100.8" fill="#2563eb"/>' in svg
    assert '<rect x="117.3" y="174.4" width="55.5" height="33.6" fill="#15803d"/>' in svg
    assert '<rect x="394.7" y="140.8" width="55.5" height="67.2" fill="#15803d"/>' in svg
    assert svg.count('fill="#2563eb"') == 2  # one bar and the legend
    assert svg.count('fill="#15803d"') == 3  # two bars and the legend
    assert "<title>2026-06-02: 0 issued, 0 redeemed</title>" in svg
    for x, label in (("117.3", "Jun 1"), ("256", "Jun 2"), ("394.7", "Jun 3")):
        assert f'<text x="{x}" y="226" text-anchor="middle" fill="#71717a">{label}</text>' in svg
    assert ">Issued (3)</text>" in svg and ">Redeemed (3)</text>" in svg
    assert svg.endswith("</svg>")


def test_long_series_labels_at_most_six_days() -> None:
    series = [(date(2026, 6, d), d, 0) for d in range(1, 31)]
    svg = activity_chart(series)
    assert svg.count('y="226" text-anchor="middle"') == 6
    for label in ("Jun 1", "Jun 7", "Jun 13", "Jun 18", "Jun 24", "Jun 30"):
        assert f">{label}</text>" in svg


def test_same_input_same_output_and_text_is_escaped() -> None:
    series = [(date(2026, 6, 1), 1, 1)]
    assert activity_chart(series) == activity_chart(list(series))
    svg = activity_chart(series, chart_id='x" onload="alert(1)', title="<b>&</b>")
    assert 'aria-labelledby="x&quot; onload=&quot;alert(1)-title' in svg
    assert '<title id="x&quot; onload=&quot;alert(1)-title">&lt;b&gt;&amp;&lt;/b&gt;</title>' in svg
    assert "<b>" not in svg
