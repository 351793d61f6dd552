"""专家打分表 workbooks as experts keep them, and tidy expert tables spread over sheets."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from evalkit import load_campaign, score
from tests.campaign_factory import leaf, node, scheme, write_campaign
from tests.exports import write_xlsx

SCHEME = scheme([node("A", [leaf("A1", "expert.A1", 10, "expert"), leaf("A2", "expert.A2", 6, "expert")])], pass_mark=12)


def _campaign(tmp_path: Path, experts: object) -> Path:
    path = write_campaign(tmp_path, pilots=["P1", "P2"], scheme=SCHEME)
    campaign = yaml.safe_load(path.read_text(encoding="utf-8"))
    campaign["data"]["experts"] = experts
    path.write_text(yaml.safe_dump(campaign, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def _one_sheet_per_expert(tmp_path: Path) -> Path:
    header = ["pilot_id", "expert_id", "indicator_id", "score"]
    scores = {"张三": {"P1": (8, 5), "P2": (6, 4)}, "李四": {"P1": (9, 6), "P2": (7, 3)},
              "王五": {"P1": (7, 4), "P2": (5, 5)}}
    sheets = {expert: [header] + [[pilot, expert, indicator, value] for pilot, values in by_pilot.items()
                                  for indicator, value in zip(("A1", "A2"), values)]
              for expert, by_pilot in scores.items()}
    return write_xlsx(tmp_path / "专家评分.xlsx", sheets)


def test_a_workbook_with_one_sheet_per_expert_is_never_read_in_part_silently(tmp_path: Path) -> None:
    """Only the first sheet is read by default: the unread sheets are named in a note."""
    _one_sheet_per_expert(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, "专家评分.xlsx"))
    notes = [str(note) for note in campaign.notes]
    assert any("专家评分.xlsx" in note and "李四" in note and "王五" in note and "not read" in note
               for note in notes), notes


def test_sheets_all_reads_every_expert(tmp_path: Path) -> None:
    _one_sheet_per_expert(tmp_path)
    campaign = load_campaign(_campaign(tmp_path, {"path": "专家评分.xlsx", "sheets": "all"}))
    table = score(campaign).table.set_index("pilot_id")
    # mean of the three experts: P1 A1 (8 + 9 + 7) ÷ 3 = 8, A2 (5 + 6 + 4) ÷ 3 = 5;
    # P2 A1 (6 + 7 + 5) ÷ 3 = 6, A2 (4 + 3 + 5) ÷ 3 = 4
    assert table.loc["P1", ["A1", "A2"]].tolist() == pytest.approx([8, 5])
    assert table.loc["P2", ["A1", "A2"]].tolist() == pytest.approx([6, 4])
    assert len(campaign.tables["experts"]) == 12
