"""Runs the official huggingface_hub Python client against an apr hub server.

    HF_ENDPOINT=<url> HF_TOKEN=<token> HF_HUB_DISABLE_XET=1 HF_HOME=<tmp> python hub_client_check.py <namespace/name> <workdir>

Used by HubServerPythonClientTest (skipped where huggingface_hub is not installed).
Prints one JSON line with what was observed; exits 1 on the first mismatch.
"""
import hashlib
import json
import os
import sys

from huggingface_hub import CommitOperationAdd, HfApi, hf_hub_download, snapshot_download


def fail(msg):
    print("hub_client_check: " + msg, file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


repo_id, work = sys.argv[1], sys.argv[2]
api = HfApi()
me = api.whoami()
check(isinstance(me.get("name"), str), "whoami: %r" % me)

url = api.create_repo(repo_id)
check(str(url).endswith("/" + repo_id), "create_repo url %s" % url)
again = api.create_repo(repo_id, exist_ok=True)
check(again.repo_id == repo_id, "exist_ok create_repo %r" % again)

folder = os.path.join(work, "upload")
os.makedirs(os.path.join(folder, "sub"), exist_ok=True)
files = {
    "README.md": b"---\nlicense: apache-2.0\nlibrary_name: apr\npipeline_tag: text-generation\n---\n# py\n",
    "config.json": b'{"model_type": "llama"}\n',
    "model.safetensors": bytes((i * 7 + 3) % 251 for i in range(1_500_000)),
    "sub/big.bin": bytes((i * 13 + 1) % 241 for i in range(11_000_000)),
}
for path, content in files.items():
    with open(os.path.join(folder, path), "wb") as f:
        f.write(content)

info = api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message="python upload")
check(len(info.oid) == 40, "commit oid %r" % info.oid)

# re-upload of unchanged files: every operation is a no-op, no new commit
again = api.upload_folder(repo_id=repo_id, folder_path=folder, commit_message="again")
mi = api.model_info(repo_id, files_metadata=True)
check(mi.sha == info.oid, "model_info sha %s != %s (re-upload made a commit?)" % (mi.sha, info.oid))
check(mi.pipeline_tag == "text-generation", "pipeline_tag %r" % mi.pipeline_tag)
check(mi.library_name == "apr", "library_name %r" % mi.library_name)
check(mi.card_data is not None and mi.card_data.get("license") == "apache-2.0", "card_data %r" % mi.card_data)
sib = {s.rfilename: s for s in mi.siblings}
check(set(sib) == set(files) | {".gitattributes"}, "siblings %r" % sorted(sib))
check(sib["sub/big.bin"].lfs is not None and sib["sub/big.bin"].lfs.sha256 == hashlib.sha256(files["sub/big.bin"]).hexdigest(), "big.bin lfs")
check(sib["config.json"].lfs is None, "config.json is regular")

tree = sorted(f.path for f in api.list_repo_tree(repo_id, recursive=True))
check(tree == sorted(list(files) + [".gitattributes", "sub"]), "tree %r" % tree)

for path, content in files.items():
    local = hf_hub_download(repo_id, path)
    with open(local, "rb") as f:
        check(f.read() == content, "hf_hub_download %s" % path)

snap = snapshot_download(repo_id)
check(os.path.basename(os.path.dirname(os.path.join(snap, "x"))) == info.oid, "snapshot dir %s" % snap)
for path, content in files.items():
    with open(os.path.join(snap, path), "rb") as f:
        check(f.read() == content, "snapshot %s" % path)

try:
    api.create_commit(repo_id, operations=[CommitOperationAdd("stale.txt", b"stale")],
                      commit_message="stale", parent_commit="0" * 40)
    fail("stale parent_commit accepted")
except Exception as e:  # HfHubHTTPError with 412
    check("412" in str(e) or getattr(getattr(e, "response", None), "status_code", 0) == 412, "stale parent: %r" % e)

print(json.dumps({"user": me["name"], "commit": info.oid, "tree": tree, "snapshot": snap}))
