"""An impact.com client that reads its secrets from the environment, as it should."""
import os

ACCOUNT_SID = os.environ["IMPACT_ACCOUNT_SID"]
AUTH_TOKEN = os.environ["IMPACT_AUTH_TOKEN"]
impact_auth_token = os.getenv("IMPACT_AUTH_TOKEN", "")
BASE = f"https://{ACCOUNT_SID}:{AUTH_TOKEN}@api.impact.com"
REPORT_NAME = "QuarterlyRevenueByPartnerAndRegionV2"
CACHE_KEY_PREFIX = "impact:reports:AbCdEfGhIjKlMnOpQrStUvWxYz012345"

def checksum(data):
    return "0x9e107d9d372bb6826bd81d3542a419d6"
