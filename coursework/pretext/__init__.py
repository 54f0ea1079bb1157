"""Self-supervised pretext tasks: one backbone, small heads, batched batch-makers.

A pretext task is a function that turns unlabelled images (or videos) into
``(inputs, targets)`` on the device, plus a small head on the shared
:class:`~coursework.pretext.backbone.Backbone`; every task trains with
:func:`coursework.train.fit`. Modules, in lecture order: ``backbone`` and
``heads`` (the networks), ``transfer`` (linear probe, fine-tuning),
``augment`` (batched augmentations, exemplar), ``tiles`` (relative position,
jigsaw), ``permutations`` (Hamming permutation sets), ``rotation``,
``color`` (Lab, ab bins, rebalancing), ``inpainting``, ``clustering``
(DeepCluster's k-means), ``contrastive`` (NT-Xent, MoCo), ``video`` (shuffle &
learn, odd-one-out, arrow of time) and ``losses``.
"""
