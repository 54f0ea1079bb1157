# Two commands (see README.md):
#   make lab    set up .venv and open the course in JupyterLab
#   make test   set up .venv and run every test (unit, build check, notebooks)
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

# FFmpeg's shared libraries, which torchcodec (torchvision's video decoder, used
# for UCF-101) loads at run time. Installed only where we are root with apt-get
# (CI, containers); elsewhere the UCF-101 loading test skips and says why.
FFMPEG_LIBS := libavcodec59 libavformat59 libavutil57 libswscale6 libswresample4 \
               libavdevice59 libavfilter8

.PHONY: lab test unit notebooks lint build check-build bench clean video-libs

$(STAMP): pyproject.toml constraints.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev,video]'
	@touch $(STAMP)

lab: $(STAMP)
	$(VENV)/bin/jupyter lab notebooks/ $$([ "$$(id -u)" = 0 ] && echo --allow-root)

test: $(STAMP) video-libs lint check-build unit notebooks

video-libs: $(STAMP)
	@if $(PY) -c "import torchcodec._core" >/dev/null 2>&1; then :; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing FFmpeg libraries for video decoding"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    --no-install-recommends $(FFMPEG_LIBS) >/dev/null || \
	  echo "could not install FFmpeg libraries: the UCF-101 test will skip"; \
	else echo "FFmpeg libraries missing: the UCF-101 loading test will skip"; fi

lint: $(STAMP)
	$(PY) -m ruff check .

check-build: $(STAMP)
	$(PY) -m coursework build --check

unit: $(STAMP)
	COURSEWORK_PROFILE=ci $(PY) -m pytest -q tests

notebooks: $(STAMP)
	COURSEWORK_PROFILE=ci $(PY) -m pytest -q --nbval-lax --nbval-current-env solutions/

build: $(STAMP)
	$(PY) -m coursework build

bench: $(STAMP)
	$(PY) benchmarks/run.py

clean:
	rm -rf $(VENV)
