import math

from latentbrush.core.verdicts import BLOTCHES_HIGH, DARKENED, SHOWN_LOW, STRETCHED, parts_verdict, reshape_verdict


def test_a_part_edit_that_does_not_show_is_called_out_with_its_figures():
    assert parts_verdict(0.78, 0.013) is None                      # a grown mouth that reads as one
    low = parts_verdict(0.25, 0.02)                                # eyes that stayed eyes
    assert low is not None and "25%" in low and "could not draw" in low and "undo it" in low
    stained = parts_verdict(0.8, 0.26)
    assert stained is not None and "26%" in stained and "stains" in stained and "could not" not in stained
    both = parts_verdict(0.1, 0.3)
    assert both is not None and "10%" in both and "30%" in both
    assert parts_verdict(SHOWN_LOW, BLOTCHES_HIGH) is None         # the limits themselves pass
    assert parts_verdict(math.nan, math.nan) is None               # nothing changed: nothing to say
    smear = parts_verdict(0.8, 0.0, -20.0)                         # no stain, but a dark smear (a helper saw one)
    assert smear is not None and "20 grey levels darker" in smear
    assert parts_verdict(0.8, 0.0, DARKENED) is None and parts_verdict(0.8, 0.0, 15.0) is None


def test_a_photos_feature_warped_far_past_its_size_is_called_out():
    assert reshape_verdict((1.0, 1.2)) is None and reshape_verdict((1 / STRETCHED, STRETCHED)) is None
    assert reshape_verdict((math.nan, math.nan)) is None
    far = reshape_verdict((1.0, 1.6))
    assert far is not None and far.startswith("Look closely") and "grows the photo's feature by up to 1.60×" in far
    assert "undo it" in far
    assert "shrinks the photo's feature to 0.62×" in reshape_verdict((0.62, 1.0))


def test_a_long_report_gets_its_first_sentence_in_the_status_bar():
    """A helper saw a part edit's report cut off mid-word at the window's edge ("… The ph")."""
    from latentbrush.core.verdicts import status_line

    short = "Filled with Content-aware."
    assert status_line(short, more="(more)") == short                 # fits: as it is
    long = ("Look closely: the paint reshapes the photo's feature, and the skin around it is squeezed. "
            + "The photo's own mouth moved onto the painted shape. " * 5)
    line = status_line(long, more="(the Parts panel says more)")
    assert line == ("Look closely: the paint reshapes the photo's feature, and the skin around it is squeezed. "
                    "(the Parts panel says more)")
    run_on = "word " * 80                                               # no sentence end: cut at a word, marked
    line = status_line(run_on, limit=60)
    assert len(line) <= 62 and line.endswith(" …") and "wor …" not in line
