"""Figures of schemathesis' stateful phase from its NDJSON report (scripts/fuzz).

    python3 scripts/fuzz_report.py REPORT.ndjson [...]

Prints, per report: scenarios that ran, steps (requests), steps that used a link's values
(`is_transition_applied`: at least one value extracted from an earlier response was put into
the request), steps after each scenario's first one (requests a check derives from a step, such
as the same call without its token, are not steps), links covered (distinct links whose values
a step used; the contract's links apart from those schemathesis infers from Location
headers), and the status codes of the steps that followed a link. Standard library only.
"""

import collections
import json
import sys


def figures(path):
    scenarios = steps = linked = after_first = 0
    covered = set()
    inferred = set()
    statuses = collections.Counter()
    selected = None
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            if "LoadingFinished" in event:
                transitions = event["LoadingFinished"]["statistic"]["transitions"]
                selected = transitions.get("selected")
            finished = event.get("ScenarioFinished")
            if not finished or finished.get("phase") != "stateful":
                continue
            recorder = finished.get("recorder") or {}
            cases = recorder.get("cases") or {}
            if not cases:
                continue
            # A scenario's steps: its first call and each call made through a link. The other
            # recorded cases are requests the checks derive from a step (the same call without
            # its token, with another method, ...): they have a parent but no link.
            own = {key: case for key, case in cases.items() if case.get("transition") or not case.get("parent_id")}
            scenarios += 1
            steps += len(own)
            after_first += len(own) - 1
            interactions = recorder.get("interactions") or {}
            for case_id, case in own.items():
                if case.get("transition") and case.get("is_transition_applied"):
                    linked += 1
                    covered.add(case["transition"]["id"])
                    if case["transition"].get("is_inferred"):
                        inferred.add(case["transition"]["id"])
                    response = (interactions.get(case_id) or {}).get("response") or {}
                    statuses[response.get("status_code", "none")] += 1
    return {
        "scenarios": scenarios,
        "steps": steps,
        "steps_after_first": after_first,
        "steps_using_links": linked,
        "links_covered": len(covered - inferred),
        "inferred_links_covered": len(inferred),
        "links_selected": selected,
        "linked_statuses": dict(sorted(statuses.items(), key=lambda item: str(item[0]))),
    }


def main():
    short = "--short" in sys.argv[1:]
    for path in [arg for arg in sys.argv[1:] if arg != "--short"]:
        f = figures(path)
        if short:
            print(
                f"{f['scenarios']} scenarios, {f['steps']} steps, {f['steps_using_links']} of "
                f"{f['steps_after_first']} later steps used a link, contract links covered "
                f"{f['links_covered']}/{f['links_selected']} (+{f['inferred_links_covered']} inferred)"
            )
            continue
        share = f"{100 * f['steps_using_links'] / f['steps_after_first']:.0f} %" if f["steps_after_first"] else "-"
        print(
            f"{path}: {f['scenarios']} scenarios, {f['steps']} steps, "
            f"{f['steps_using_links']} of {f['steps_after_first']} steps after the first used a link ({share}), "
            f"contract links covered {f['links_covered']} / {f['links_selected']}, "
            f"inferred (Location) links covered {f['inferred_links_covered']}, "
            f"statuses after a link {f['linked_statuses']}"
        )


if __name__ == "__main__":
    main()
