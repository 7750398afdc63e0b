// The upload page: choose or drop files, check each in the browser (type, size,
// pixels, with the server's exact limits), then send each on its own request with
// its own progress bar and result. Without this script the form posts as usual.

const form = document.querySelector("[data-upload-form]");

const ACCEPTED_TYPES = new Map([
  ["image/jpeg", [0xff, 0xd8, 0xff]],
  ["image/png", [0x89, 0x50, 0x4e, 0x47]],
  ["image/gif", [0x47, 0x49, 0x46, 0x38]],
  ["image/webp", [0x52, 0x49, 0x46, 0x46]],
]);

// The same rule as gallery/formats.py human_size: binary units, one decimal at most.
function formatSize(bytes) {
  const units = ["B", "KB", "MB", "GB", "TB"];
  let value = bytes;
  let unit = 0;
  while (Math.abs(value) >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Math.round(value * 10) / 10} ${units[unit]}`;
}

async function sniffType(file) {
  // Decide by the first bytes, as the server does, not by the name or the browser's guess.
  const head = new Uint8Array(await file.slice(0, 12).arrayBuffer());
  for (const [type, magic] of ACCEPTED_TYPES) {
    if (magic.every((byte, i) => head[i] === byte)) {
      if (type === "image/webp" && String.fromCharCode(...head.slice(8, 12)) !== "WEBP") continue;
      return type;
    }
  }
  return null;
}

function imageSize(file) {
  return new Promise((resolve) => {
    const url = URL.createObjectURL(file);
    const img = new Image();
    img.onload = () => { URL.revokeObjectURL(url); resolve([img.naturalWidth, img.naturalHeight]); };
    img.onerror = () => { URL.revokeObjectURL(url); resolve(null); };
    img.src = url;
  });
}

class UploadPage {
  constructor(root) {
    this.form = root;
    this.input = root.querySelector("[data-file-input]");
    this.dropzone = root.querySelector("[data-dropzone]");
    this.submit = root.querySelector("[data-upload-submit]");
    this.list = document.querySelector("[data-upload-list]");
    this.itemTemplate = document.querySelector("[data-upload-item]");
    this.text = document.querySelector("[data-upload-messages]").dataset;
    this.limits = {
      bytes: Number(root.dataset.maxBytes),
      pixels: Number(root.dataset.maxPixels),
      files: Number(root.dataset.maxFiles),
    };
    this.csrf = document.querySelector('meta[name="csrf-token"]').content;
    this.entries = [];
    this.busy = false;
    this.bind();
  }

  bind() {
    this.input.addEventListener("change", () => this.choose(this.input.files));
    for (const name of ["dragenter", "dragover"]) {
      this.dropzone.addEventListener(name, (event) => {
        event.preventDefault();
        this.dropzone.classList.add("is-over");
      });
    }
    for (const name of ["dragleave", "drop"]) {
      this.dropzone.addEventListener(name, () => this.dropzone.classList.remove("is-over"));
    }
    this.dropzone.addEventListener("drop", (event) => {
      event.preventDefault();
      if (event.dataTransfer?.files?.length) {
        this.input.files = event.dataTransfer.files;
        this.choose(this.input.files);
      }
    });
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.uploadAll();
    });
  }

  async choose(fileList) {
    if (this.busy) return;
    this.list.replaceChildren();
    this.entries = [];
    const files = Array.from(fileList);
    files.forEach((file, index) => {
      const entry = { file, node: this.renderItem(file), error: null, checked: null };
      if (index >= this.limits.files) entry.error = this.text.tooMany;
      this.entries.push(entry);
    });
    await Promise.all(this.entries.map((entry) => {
      entry.checked = this.check(entry);
      return entry.checked;
    }));
  }

  renderItem(file) {
    const node = this.itemTemplate.content.firstElementChild.cloneNode(true);
    node.querySelector("[data-name]").textContent = file.name;
    node.querySelector("[data-size]").textContent = formatSize(file.size);
    node.querySelector("[data-result]").textContent = this.text.checking;
    this.list.append(node);
    return node;
  }

  async check(entry) {
    const { file } = entry;
    if (!entry.error && file.size > this.limits.bytes) entry.error = this.text.size;
    if (!entry.error && !(await sniffType(file))) entry.error = this.text.type;
    if (!entry.error) {
      const size = await imageSize(file);
      if (!size) entry.error = this.text.unreadable;
      else if (size[0] * size[1] > this.limits.pixels) {
        entry.error = this.text.pixels.replace("{dims}", `${size[0]}×${size[1]}`);
      }
    }
    if (entry.error) this.showError(entry.node, entry.error);
    else this.setResult(entry.node, this.text.waiting);
  }

  async uploadAll() {
    if (this.busy) return;
    if (!this.entries.length && this.input.files.length) await this.choose(this.input.files);
    await Promise.all(this.entries.map((entry) => entry.checked));
    this.busy = true;
    this.submit.disabled = true;
    for (const entry of this.entries) {
      if (!entry.error && !entry.done) await this.uploadOne(entry);
    }
    this.busy = false;
    this.submit.disabled = false;
  }

  uploadOne(entry) {
    const data = new FormData();
    data.append("file", entry.file, entry.file.name);
    for (const name of ["caption", "shop_url", "shop_title"]) {
      data.append(name, this.form.elements[name].value);
    }
    const bar = entry.node.querySelector("[data-bar]");
    const progress = entry.node.querySelector("[data-progress]");
    return new Promise((resolve) => {
      const xhr = new XMLHttpRequest();
      xhr.open("POST", this.form.dataset.apiUrl);
      xhr.setRequestHeader("X-CSRFToken", this.csrf);
      xhr.setRequestHeader("Accept", "application/json");
      xhr.responseType = "json";
      xhr.upload.addEventListener("progress", (event) => {
        if (!event.lengthComputable) return;
        const percent = Math.round((event.loaded / event.total) * 100);
        bar.style.width = `${percent}%`;
        progress.setAttribute("aria-valuenow", String(percent));
      });
      xhr.addEventListener("load", () => {
        bar.style.width = "100%";
        entry.done = true;
        const body = xhr.response || {};
        if (xhr.status === 201) this.showLink(entry.node, "is-done", this.text.done, this.text.view, body.url);
        else if (xhr.status === 200 && body.duplicate) {
          this.showLink(entry.node, "is-duplicate", this.text.duplicate, this.text.existing, body.url);
        } else {
          entry.done = false;
          this.showError(entry.node, body.message || `${xhr.status} ${xhr.statusText}`);
        }
        resolve();
      });
      xhr.addEventListener("error", () => { this.showError(entry.node, this.text.network); resolve(); });
      xhr.send(data);
    });
  }

  setResult(node, text) {
    node.querySelector("[data-result]").textContent = text;
  }

  showError(node, message) {
    node.classList.add("is-error");
    const result = node.querySelector("[data-result]");
    result.textContent = `${this.text.failed} ${message}`;
    result.classList.add("text-danger");
  }

  showLink(node, state, label, linkText, href) {
    node.classList.add(state);
    const result = node.querySelector("[data-result]");
    const link = document.createElement("a");
    link.href = href;
    link.textContent = linkText;
    result.replaceChildren(document.createTextNode(`${label} `), link);
  }
}

if (form) new UploadPage(form);
