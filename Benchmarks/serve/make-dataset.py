#!/usr/bin/env python3
"""A synthetic CRM export for the service benchmark, in `atsgate import`'s JSON format.

    Benchmarks/serve/make-dataset.py OUT.json [--companies 200] [--jobs-per-company 1000]
                                              [--organisation org-bench] [--broken]

One organisation; each company has two decision makers (association_label decision_maker,
with emails) and --jobs-per-company open jobs with qualification_status "new". Job ids are
job-0000001 ... in order, so a load generator can address distinct jobs by number
(job-%07d, 1-based). --broken makes the very last job invalid (an unknown company), to check
that an import is all-or-nothing. Deterministic: the same arguments give the same file.
"""
import argparse
import json

TITLES = ["Backend Engineer", "Site Reliability Engineer", "Data Analyst", "Account Executive",
          "Field Service Technician", "Product Designer", "Nurse Practitioner", "Logistics Coordinator"]
CITIES = [("San Francisco", "US"), ("London", "GB"), ("Lyon", "FR"), ("Boston", "US"), ("Berlin", "DE")]
TYPES = ["full_time", "part_time", "contract"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--companies", type=int, default=200)
    parser.add_argument("--jobs-per-company", type=int, default=1000)
    parser.add_argument("--organisation", default="org-bench")
    parser.add_argument("--broken", action="store_true")
    args = parser.parse_args()
    org = args.organisation

    companies, people, associations, jobs = [], [], [], []
    number = 0
    for c in range(1, args.companies + 1):
        cid = f"cmp-{c:05d}"
        domain = f"company{c:05d}.example"
        companies.append({
            "id": cid, "organisation_id": org, "name": f"Company {c:05d}", "domain": domain,
            "industry": "Software", "website": f"https://{domain}", "phone": f"+1415555{c % 10000:04d}",
            "address": f"{c} Market St, San Francisco, CA 94105, US", "pipeline_stage": "customer",
        })
        for p in (1, 2):
            pid = f"per-{c:05d}-{p}"
            first, last = ("Dana", "Whitfield") if p == 1 else ("Sam", "Okafor")
            people.append({
                "id": pid, "organisation_id": org, "first_name": first, "last_name": f"{last}{c}",
                "email": f"{first.lower()}.{last.lower()}{c}@{domain}", "phone": f"+1415556{c % 10000:04d}",
                "company_role": "Chief Executive Officer" if p == 1 else "VP Engineering",
                "company_id": cid, "people_stage": "contacted",
            })
            associations.append({
                "organisation_id": org, "company_id": cid, "person_id": pid,
                "association_label": "decision_maker", "is_primary": p == 1,
            })
        for j in range(args.jobs_per_company):
            number += 1
            title = TITLES[number % len(TITLES)]
            city, country = CITIES[number % len(CITIES)]
            jobs.append({
                "id": f"job-{number:07d}", "organisation_id": org, "company_id": cid, "title": f"{title} {number}",
                "description": f"Company {c:05d} is looking for a {title} to join the team in {city}. "
                               "In this role you will partner with product and customer teams.",
                "location": f"{city}, {country}", "employment_type": TYPES[number % len(TYPES)],
                "job_url": f"https://careers.{domain}/jobs/{number}", "status": "open",
                "qualification_status": "new", "notes": "synthetic benchmark job",
            })
    if args.broken and jobs:
        jobs[-1]["company_id"] = "cmp-does-not-exist"
    with open(args.out, "w") as out:
        json.dump({"organisations": [{"id": org, "name": "Benchmark Org"}], "companies": companies,
                   "people": people, "associations": associations, "jobs": jobs}, out)


if __name__ == "__main__":
    main()
