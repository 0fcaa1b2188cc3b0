"""Counterfactual copies of training clauses against name shortcuts in general.

A clause that names Google, Apple or Cloudflare says the same about data
practices as it would with any other company's name, but a model can learn
the name ("Google" → sharing) instead of the practice. This writes, for every
training clause of datasets/modern that names one of ORGS and is not about
biometrics, one copy with each of those names replaced by an invented one,
labels unchanged.

The invented names (INVENTED) are ours and differ from every name in
datasets/shortcuts/name_swaps.json (Globex, Hooli, Initech, ...), so the
name-invariance check (scripts/shortcuts/check.py) stays a measurement of
names the model never saw swapped in, not a target.

    python scripts/modern/org_names.py datasets/modern/clauses.jsonl OUT.jsonl
"""

import random
import re
import sys

from counterfactual import write_copies

SEED = 11
ORGS = ["Google", "Facebook", "Meta", "Apple", "Microsoft", "Amazon", "Twitter", "LinkedIn", "TikTok",
        "YouTube", "Instagram", "Stripe", "PayPal", "Salesforce", "Adobe", "Cloudflare", "Mailchimp",
        "HubSpot", "Zendesk", "Hotjar", "Snapchat", "Pinterest", "Oracle", "Intercom", "Mixpanel", "Braze",
        "Twilio", "Shopify", "AWS", "WhatsApp", "Yahoo", "Bing", "Criteo", "Mozilla", "Samsung", "Slack",
        "Zoom", "Dropbox", "OpenAI", "Hugging Face", "Reddit", "Spotify", "Netflix", "Uber", "Airbnb"]
INVENTED = ["Altura", "Brindle Labs", "Corvana", "Dunmore", "Elmsworth", "Fennick", "Greyhaven", "Halvorsen",
            "Ironleaf", "Juniper Row", "Kestrel Data", "Lumora", "Norwind", "Ostrava Systems", "Pellucid",
            "Quillon", "Rookwood", "Sablewing", "Tamarind Cloud", "Veltro"]
PATTERN = re.compile(r"(?<![\w])(" + "|".join(re.escape(o) for o in sorted(ORGS, key=len, reverse=True)) + r")(?![\w])")


def main():
    src, out = sys.argv[1], sys.argv[2]
    rng = random.Random(SEED)

    def rewrite(r):
        named = sorted(set(PATTERN.findall(r["text"])))
        if not named:
            return None
        # One invented name per organisation, the same throughout the clause.
        choice = dict(zip(named, rng.sample(INVENTED, len(named))))
        return PATTERN.sub(lambda m: choice[m.group(1)], r["text"])

    write_copies(src, out, rewrite, "org")


if __name__ == "__main__":
    main()
